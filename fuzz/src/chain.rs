//! The real runtime in memory: the local network's genesis, blocks opened and closed through
//! `Executive` (Aura's slot digest, the timestamp inherent, `on_initialize`, `on_idle`,
//! `on_finalize`), signed calls applied as the chain applies a transaction, privileged ones
//! dispatched as a passed council motion would dispatch them, and the checks after every block.

use codec::Encode;
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::UnfilteredDispatchable,
};
use iotrust_runtime::{
	configs::RuntimeBlockWeights, AccountId, Address, Executive, Header, Runtime, RuntimeCall,
	RuntimeGenesisConfig, RuntimeOrigin, Signature, SignedPayload, System, UncheckedExtrinsic,
	SLOT_DURATION,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::Header as _,
	transaction_validity::{TransactionSource, TransactionValidityError},
	BuildStorage, DispatchError, Storage,
};

/// Who makes a call.
#[derive(Clone, Debug)]
pub enum Who {
	/// A signed transaction of actor `i`.
	Signed(usize),
	/// `Root`, as a council motion reaches it through `consortium.dispatchAsRoot`.
	Root,
	/// A council motion passed by 3 of the 4 members.
	Council,
	/// An unsigned transaction, as the pool would be handed one.
	Unsigned,
}

/// What became of a call.
pub enum Outcome {
	Ok,
	/// Dispatched and failed: its error's name.
	Failed(String),
	/// Never dispatched: the transaction was invalid (fees, weight, origin checks).
	Refused(String),
}

/// The local network's genesis (four council members who are validators, the dev accounts
/// endowed), built once and cloned for each case.
pub fn genesis() -> Storage {
	let patch = iotrust_runtime::genesis_config_presets::get_preset(
		&sc_chain_spec::LOCAL_TESTNET_RUNTIME_PRESET.to_string(),
	)
	.expect("the runtime has a local_testnet preset");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
	// Laid over the defaults as a chain spec lays a preset.
	sc_chain_spec::json_merge(
		&mut config,
		serde_json::from_slice(&patch).expect("the preset is JSON"),
	);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("the preset fits");
	config.build_storage().expect("genesis builds")
}

/// The chain as a case drives it.
pub struct Chain {
	/// The weight the block had before its transactions: its hooks' and inherents'.
	pub opened_with: frame_support::weights::Weight,
	parent: H256,
	slot: u64,
	genesis_hash: H256,
}

impl Chain {
	/// Call inside the externalities of [`genesis`].
	pub fn new() -> Self {
		let genesis_hash = System::block_hash(0);
		Self { opened_with: Default::default(), parent: genesis_hash, slot: 1_000, genesis_hash }
	}

	/// Open the next block `skip` slots on: its pre-runtime slot digest, `on_initialize`, the
	/// timestamp inherent.
	pub fn open(&mut self, skip: u64) {
		self.slot += 1 + skip;
		let number = System::block_number() + 1;
		let slot = sp_consensus_aura::Slot::from(self.slot);
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(sp_consensus_aura::AURA_ENGINE_ID, slot.encode())],
		};
		let header = Header::new(number, H256::zero(), H256::zero(), self.parent, digest);
		Executive::initialize_block(&header);
		let now = self.slot * SLOT_DURATION;
		let inherent =
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
				now,
			}));
		Executive::apply_extrinsic(inherent)
			.expect("the timestamp inherent is valid")
			.expect("the timestamp inherent succeeds");
		Executive::inherents_applied();
		self.opened_with = System::block_weight().total();
	}

	/// Close the block: `on_idle`, `on_finalize`. Returns the length of its extrinsics (which
	/// finalizing forgets).
	pub fn close(&mut self) -> u32 {
		let length = System::block_size();
		let header = Executive::finalize_block();
		self.parent = header.hash();
		length
	}

	/// Make `call` as `who`.
	pub fn apply(&self, who: &Who, pair: Option<&sr25519::Pair>, call: RuntimeCall) -> Outcome {
		match who {
			Who::Signed(_) => {
				let pair = pair.expect("a signed call has its signer");
				self.apply_signed(pair, call)
			},
			Who::Unsigned => {
				let xt = UncheckedExtrinsic::new_bare(call);
				// The pool checks an unsigned transaction before a block may carry it.
				if let Err(e) = Executive::validate_transaction(
					TransactionSource::External,
					xt.clone(),
					self.parent,
				) {
					return Outcome::Refused(validity(e));
				}
				match Executive::apply_extrinsic(xt) {
					Ok(Ok(())) => Outcome::Ok,
					Ok(Err(e)) => Outcome::Failed(error_name(e)),
					Err(e) => Outcome::Refused(validity(e)),
				}
			},
			Who::Root => self.apply_privileged(RuntimeOrigin::root(), call),
			Who::Council => self.apply_privileged(
				pallet_collective::RawOrigin::<AccountId, pallet_collective::Instance1>::Members(
					3, 4,
				)
				.into(),
				call,
			),
		}
	}

	fn apply_signed(&self, pair: &sr25519::Pair, call: RuntimeCall) -> Outcome {
		let who: AccountId = pair.public().into();
		let nonce = System::account_nonce(&who);
		let extension = iotrust_runtime::tx_extension(nonce, Era::Immortal);
		let version = <Runtime as frame_system::Config>::Version::get();
		let implicit = (
			(),
			version.spec_version,
			version.transaction_version,
			self.genesis_hash,
			self.genesis_hash,
			(),
			(),
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| pair.sign(bytes));
		let xt = UncheckedExtrinsic::new_signed(
			call,
			Address::Id(who),
			Signature::Sr25519(signature),
			extension,
		);
		match Executive::apply_extrinsic(xt) {
			Ok(Ok(())) => Outcome::Ok,
			Ok(Err(e)) => Outcome::Failed(error_name(e)),
			Err(e) => Outcome::Refused(validity(e)),
		}
	}

	/// Dispatch as a council motion's close does: only if its declared weight still fits the
	/// block (else the motion's `close` could not be included), charged what it used.
	fn apply_privileged(&self, origin: RuntimeOrigin, call: RuntimeCall) -> Outcome {
		let info = call.get_dispatch_info();
		let limits = RuntimeBlockWeights::get();
		let normal = limits.get(DispatchClass::Normal);
		let weight = System::block_weight();
		let used = *weight.get(DispatchClass::Normal);
		let max = normal.max_total.unwrap_or(limits.max_block);
		if !used.saturating_add(info.total_weight()).all_lte(max)
			|| !weight.total().saturating_add(info.total_weight()).all_lte(limits.max_block)
		{
			return Outcome::Refused("ExhaustsResources".into());
		}
		let result = call.dispatch_bypass_filter(origin);
		let post = match &result {
			Ok(post) => *post,
			Err(e) => e.post_info,
		};
		let actual = post.calc_actual_weight(&info);
		System::register_extra_weight_unchecked(actual, DispatchClass::Normal);
		match result {
			Ok(_) => Outcome::Ok,
			Err(e) => Outcome::Failed(error_name(e.error)),
		}
	}
}

/// A dispatch error by name, e.g. `Devices.BadProof`.
pub fn error_name(e: DispatchError) -> String {
	match e {
		DispatchError::Module(m) => {
			format!("{}.{}", pallet_name(m.index), m.message.unwrap_or("?"))
		},
		other => format!("{other:?}"),
	}
}

/// The runtime's pallets by index (as `construct_runtime` numbers them).
fn pallet_name(index: u8) -> &'static str {
	match index {
		0 => "System",
		1 => "Timestamp",
		2 => "Utility",
		5 => "Balances",
		6 => "TransactionPayment",
		10 => "Consortium",
		11 => "Session",
		12 => "Aura",
		13 => "Grandpa",
		20 => "Council",
		21 => "CouncilMembership",
		30 => "Devices",
		31 => "Anchoring",
		32 => "Obligations",
		33 => "Reputation",
		34 => "Groups",
		35 => "Channels",
		_ => "?",
	}
}

fn validity(e: TransactionValidityError) -> String {
	match e {
		TransactionValidityError::Invalid(i) => format!("Invalid::{i:?}"),
		TransactionValidityError::Unknown(u) => format!("Unknown::{u:?}"),
	}
}

/// What must hold after every block (whose extrinsics were `length` bytes, and which its hooks
/// and inherents had filled to `opened_with` before any transaction); the first broken rule, if
/// any.
pub fn check_block(length: u32, opened_with: frame_support::weights::Weight) -> Result<(), String> {
	use iotrust_runtime::{
		Anchoring, Channels, Consortium, Devices, Groups, Obligations, Reputation,
	};
	type Check = fn() -> Result<(), sp_runtime::TryRuntimeError>;
	let pallets: [(&str, Check); 7] = [
		("consortium", Consortium::do_try_state),
		("devices", Devices::do_try_state),
		("anchoring", Anchoring::do_try_state),
		("groups", Groups::do_try_state),
		("channels", Channels::do_try_state),
		("obligations", Obligations::do_try_state),
		("reputation", Reputation::do_try_state),
	];
	for (name, check) in pallets {
		check().map_err(|e| format!("{name}'s invariants: {e:?}"))?;
	}
	// The block's weight and length within its limits, every class and in all.
	let limits = RuntimeBlockWeights::get();
	let weight = System::block_weight();
	let total = weight.total();
	// A block whose mandatory start alone fills it (pallet-session charges the whole block when
	// a session rotates) is FRAME's design; otherwise nothing may take it over its limit.
	if !total.all_lte(limits.max_block) && opened_with.all_lte(limits.max_block) {
		return Err(format!(
			"block weight {total:?} over the limit {:?} (normal {:?}, operational {:?}, mandatory {:?})",
			limits.max_block,
			weight.get(DispatchClass::Normal),
			weight.get(DispatchClass::Operational),
			weight.get(DispatchClass::Mandatory)
		));
	}
	for class in [DispatchClass::Normal, DispatchClass::Operational] {
		if let Some(max) = limits.get(class).max_total {
			if !weight.get(class).all_lte(max) {
				return Err(format!(
					"{class:?} weight {:?} over its limit {max:?}",
					weight.get(class)
				));
			}
		}
	}
	let max_length =
		*<Runtime as frame_system::Config>::BlockLength::get().max.get(DispatchClass::Normal);
	if length > max_length {
		return Err(format!("block length {length} over {max_length}"));
	}
	// Every unit issued is in some account: free or held.
	let issuance = pallet_balances::TotalIssuance::<Runtime>::get();
	let mut sum: u128 = 0;
	for (_, account) in frame_system::Account::<Runtime>::iter() {
		sum = sum.saturating_add(account.data.free).saturating_add(account.data.reserved);
	}
	if sum != issuance {
		return Err(format!("total issuance {issuance} but the accounts hold {sum}"));
	}
	Ok(())
}
