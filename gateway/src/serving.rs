//! Consent on chain: a device owner binds devices only to a gateway that serves it
//! (`devices.serveOwner`). A lone gateway records that it serves the owners it is configured
//! with; a group's members approve, through the group, that the group's account serves them.

use crate::chain::{self, interface, port::ChainError, AccountId, Chain};
use std::{sync::Arc, time::Duration};
use tracing::{info, warn};

/// Why consent could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum ServingError {
	#[error("asking the chain: {0}")]
	Chain(#[from] ChainError),
	#[error("recording consent to serve {count} owner(s): {why}")]
	NotRecorded { count: usize, why: String },
}

/// Approve, as a member of `group`, that the group's `account` serve each of `owners` it does
/// not serve yet: the approval that reaches the group's threshold records the consent (the
/// group's account must hold the deposit). An approval that came too late opens a proposal no
/// one completes; it is withdrawn if the owner comes to be served within about two minutes.
pub async fn approve_serving(
	chain: &Arc<Chain>,
	group: u32,
	account: &AccountId,
	owners: &[AccountId],
) -> Result<(), ServingError> {
	for owner in owners {
		if chain.serves(account, owner).await? {
			continue;
		}
		let call = chain.encode_call(&chain::Call::new(&interface::SERVE_OWNER, owner)).await?;
		let call_hash = sp_io::hashing::blake2_256(&call);
		let approve = chain::Call::new(&interface::APPROVE, &group).then_call(&call);
		let who = chain::ss58(owner);
		let events = match chain.submit(&[approve]).await {
			Ok((_, events)) => events,
			Err(e) => {
				warn!("approving that group {group} serve owner {who}: {e}");
				continue;
			},
		};
		match interface::GROUP_ACTED.find(&events) {
			Some((_, _, Ok(()))) => info!("group {group} now serves owner {who}"),
			Some((_, _, Err(e))) => {
				let error = match chain.pallet_error(&e).await {
					Ok(named) => named.to_string(),
					Err(_) => format!("{e:?}"),
				};
				warn!(
					"group {group}'s account could not serve owner {who}: the approved call failed with {error} (does the group's account {} hold the deposit?)",
					chain::ss58(account)
				)
			},
			None => {
				info!("approved that group {group} serve owner {who}; waiting for the others");
				let (chain, account, owner) = (chain.clone(), *account, *owner);
				tokio::spawn(withdraw_when_served(chain, group, account, owner, call_hash));
			},
		}
	}
	Ok(())
}

/// Withdraw this member's approval of `call_hash` (serving `owner`) if the group comes to serve
/// `owner` while the proposal stays open: it was opened after the threshold was reached.
async fn withdraw_when_served(
	chain: Arc<Chain>,
	group: u32,
	account: AccountId,
	owner: AccountId,
	call_hash: [u8; 32],
) {
	for _ in 0..40 {
		tokio::time::sleep(Duration::from_secs(3)).await;
		if !matches!(chain.serves(&account, &owner).await, Ok(true)) {
			continue;
		}
		let me = chain.account();
		let ours = chain.group_proposal(group, &call_hash).await;
		if ours
			.is_ok_and(|approvals| approvals.is_some_and(|a| me.is_some_and(|me| a.contains(&me))))
		{
			let withdraw = chain::Call::new(&interface::WITHDRAW, &(group, call_hash));
			match chain.submit(&[withdraw]).await {
				Ok(_) => info!("withdrew a late approval: group {group} already serves that owner"),
				Err(e) => {
					warn!("withdrawing a late approval in group {group}: {e}; trying again");
					continue;
				},
			}
		}
		return;
	}
}

/// Record on chain that this gateway serves each of `owners` it does not serve yet, so they can
/// bind their devices to it.
pub async fn serve_owners(
	chain: &Chain,
	me: &AccountId,
	owners: &[AccountId],
) -> Result<(), ServingError> {
	let mut calls = Vec::new();
	for owner in owners {
		if !chain.serves(me, owner).await? {
			calls.push(chain::Call::new(&interface::SERVE_OWNER, owner));
		}
	}
	if calls.is_empty() {
		return Ok(());
	}
	let count = calls.len();
	chain
		.submit(&calls)
		.await
		.map_err(|e| ServingError::NotRecorded { count, why: e.to_string() })?;
	info!("now serving {count} more device owner(s) on chain");
	Ok(())
}
