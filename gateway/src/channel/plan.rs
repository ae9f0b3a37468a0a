//! What a channel command decides, as plain functions over what the chain answered: who a new
//! epoch's key goes to, which epochs an auditor's window covers, how members are written on the
//! command line. No chain, no files.

use crate::chain::{AccountId, ChannelInfo, EpochInfo};
use iotrust_primitives::channels::{ChannelEpoch, Role};
use pallet_channels_runtime_api::Grant;

/// The accounts a key made now goes to: members the chain counts as active (still consortium
/// members) and auditors whose window holds now — exactly the set `channels` checks.
pub fn recipients(info: &ChannelInfo) -> Vec<AccountId> {
	let members = info.members.iter().filter(|m| m.active).map(|m| m.account);
	let auditors = info.auditors.iter().filter(|a| a.active).map(|a| a.account);
	members.chain(auditors).collect()
}

/// [`recipients`] once `remove` have left and `add` have joined (the chain refuses an added
/// account that is not a consortium member, so each counts as active).
pub fn recipients_after(
	info: &ChannelInfo,
	add: &[(AccountId, Role)],
	remove: &[AccountId],
) -> Vec<AccountId> {
	let mut out: Vec<AccountId> =
		recipients(info).into_iter().filter(|a| !remove.contains(a)).collect();
	for (who, _) in add {
		if !out.contains(who) {
			out.push(*who);
		}
	}
	out
}

/// Whether epoch `info` overlaps an auditor's `grant` (the chain's rule for deliveries).
pub fn overlaps(grant: &Grant<u32>, info: &EpochInfo) -> bool {
	info.started <= grant.until && info.ended.is_none_or(|end| end >= grant.from)
}

/// An account and role as written on the command line: `ACCOUNT:writer` or `ACCOUNT:reader`
/// (`ACCOUNT` in SS58 or 0x-hex).
pub fn parse_member(text: &str) -> Result<(AccountId, Role), String> {
	let (account, role) = text
		.rsplit_once(':')
		.ok_or_else(|| format!("`{text}`: write ACCOUNT:writer or ACCOUNT:reader"))?;
	let role = match role {
		"writer" => Role::Writer,
		"reader" => Role::Reader,
		other => return Err(format!("`{other}` is no role: writer or reader")),
	};
	Ok((parse_account(account)?, role))
}

/// An account in SS58 or as 0x-prefixed hex of its 32 bytes.
pub fn parse_account(text: &str) -> Result<AccountId, String> {
	if let Some(hex) = text.strip_prefix("0x") {
		let bytes = hex::decode(hex).map_err(|e| format!("`{text}`: {e}"))?;
		return bytes.try_into().map_err(|_| format!("`{text}`: an account is 32 bytes"));
	}
	use sp_core::crypto::Ss58Codec;
	sp_core::crypto::AccountId32::from_ss58check(text)
		.map(Into::into)
		.map_err(|e| format!("`{text}` is not an SS58 account: {e:?}"))
}

/// Epochs `1..=current` listed as `1,3,5` or ranges `2-4`.
pub fn parse_epochs(text: &str, current: ChannelEpoch) -> Result<Vec<ChannelEpoch>, String> {
	let mut out = Vec::new();
	for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
		let (a, b) = part.split_once('-').unwrap_or((part, part));
		let parse = |s: &str| s.trim().parse::<u32>().map_err(|e| format!("`{part}`: {e}"));
		let (a, b) = (parse(a)?, parse(b)?);
		if a == 0 || a > b || b > current {
			return Err(format!("`{part}`: epochs run from 1 to {current}"));
		}
		out.extend(a..=b);
	}
	out.sort_unstable();
	out.dedup();
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_channels_runtime_api::{AuditorInfo, MemberInfo};

	fn info() -> ChannelInfo {
		let member = |n: u8, active| MemberInfo { account: [n; 32], role: Role::Reader, active };
		let auditor = |n: u8, active| AuditorInfo {
			account: [n; 32],
			grant: Grant { from: 1, until: 9 },
			active,
			holds_current_key: false,
		};
		ChannelInfo {
			owner: [1; 32],
			members: vec![member(1, true), member(2, false), member(3, true)],
			auditors: vec![auditor(7, true), auditor(8, false)],
			epoch: 2,
			key_id: [0; 32],
			retention: None,
			rekey_due: false,
			deliveries_due: vec![],
			closed: false,
		}
	}

	#[test]
	fn keys_go_to_active_members_and_auditors() {
		assert_eq!(recipients(&info()), vec![[1; 32], [3; 32], [7; 32]]);
		assert_eq!(
			recipients_after(&info(), &[([4; 32], Role::Writer)], &[[3; 32]]),
			vec![[1; 32], [7; 32], [4; 32]]
		);
	}

	#[test]
	fn an_epoch_overlaps_a_window_it_shares_a_block_with() {
		let grant = Grant { from: 10, until: 20 };
		let epoch = |started, ended| EpochInfo { started, ended, key_id: [0; 32], by: [0; 32] };
		assert!(overlaps(&grant, &epoch(1, Some(10))));
		assert!(overlaps(&grant, &epoch(20, None)));
		assert!(overlaps(&grant, &epoch(12, Some(15))));
		assert!(!overlaps(&grant, &epoch(1, Some(9))));
		assert!(!overlaps(&grant, &epoch(21, None)));
	}

	#[test]
	fn members_and_epochs_parse() {
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
		assert_eq!(parse_member(&format!("{alice}:writer")).unwrap().1, Role::Writer);
		assert!(parse_member(alice).is_err());
		assert!(parse_member(&format!("{alice}:owner")).is_err());
		assert_eq!(parse_account(&format!("0x{}", "01".repeat(32))).unwrap(), [1; 32]);
		assert!(parse_account("0x0102").is_err());
		assert_eq!(parse_epochs("1,3-4, 3", 5).unwrap(), vec![1, 3, 4]);
		assert!(parse_epochs("0", 5).is_err());
		assert!(parse_epochs("4-6", 5).is_err());
	}
}
