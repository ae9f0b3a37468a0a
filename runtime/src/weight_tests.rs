//! Every call's worst case fits in one extrinsic under the measured weights: a call that could
//! weigh more than `max_extrinsic` could never be included, whatever fee its sender pays.

use crate::{
	configs::{RuntimeBlockWeights, MAX_AUTHORITIES, MAX_MEMBERS},
	weights, Runtime, RuntimeCall, TxExtension,
};
use frame_support::{dispatch::DispatchClass, traits::Get, weights::Weight};
use sp_runtime::traits::TransactionExtension;

/// The heaviest a call of `call_weight` is once its transaction extensions are added.
fn with_extensions(call_weight: Weight) -> Weight {
	let call = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	let extensions = <TxExtension as TransactionExtension<RuntimeCall>>::weight(
		&crate::tx_extension(0, sp_runtime::generic::Era::Immortal),
		&call,
	);
	call_weight.saturating_add(extensions)
}

/// `(call, worst-case weight)` of every call a member, a device owner, a gateway or the
/// council can make, at the largest arguments the runtime's bounds allow.
fn worst_cases() -> Vec<(&'static str, Weight)> {
	use pallet_anchoring::WeightInfo as _;
	use pallet_consortium::WeightInfo as _;
	use pallet_devices::WeightInfo as _;
	use pallet_groups::WeightInfo as _;
	use pallet_obligations::WeightInfo as _;
	type Groups = pallet_groups::weights::SubstrateWeight<Runtime>;
	type Devices = pallet_devices::weights::SubstrateWeight<Runtime>;
	type Anchoring = pallet_anchoring::weights::SubstrateWeight<Runtime>;
	type Obligations = pallet_obligations::weights::SubstrateWeight<Runtime>;
	type Consortium = pallet_consortium::weights::SubstrateWeight<Runtime>;
	let batch = <Runtime as pallet_anchoring::Config>::MaxDevicesPerBatch::get();
	let summaries = <Runtime as pallet_anchoring::Config>::MaxSummariesPerBatch::get();
	let rules = <Runtime as pallet_anchoring::Config>::MaxRules::get();
	let group = <Runtime as pallet_groups::Config>::MaxMembers::get();
	let attest = <Runtime as pallet_devices::Config>::MaxAttestationBatch::get();
	let validators = MAX_AUTHORITIES;
	let (members, proposals, proposal_bytes) = (MAX_MEMBERS, 100, 1024);
	vec![
		("anchoring.anchor", pallet_anchoring::Pallet::<Runtime>::anchor_weight(batch, summaries)),
		("anchoring.set_rules", Anchoring::set_rules(rules)),
		("anchoring.reset_sequence", Anchoring::reset_sequence()),
		("anchoring.anchor_as_group", pallet_anchoring::Pallet::<Runtime>::group_anchor_weight(batch, summaries)),
		("groups.create_group", Groups::create_group(group)),
		("groups.change_group", Groups::change_group(group)),
		("groups.dissolve_group", Groups::dissolve_group()),
		("groups.confirm_key", Groups::confirm_key(group)),
		("groups.approve (without the call)", Groups::approve(group)),
		("groups.withdraw", Groups::withdraw(group)),
		("devices.register (P-256 proof)", Devices::register().saturating_add(Devices::verify_p256())),
		("devices.rotate_key (P-256 proofs)", Devices::rotate_key().saturating_add(Devices::verify_p256().saturating_mul(2))),
		("devices.report_firmware", Devices::report_firmware().saturating_add(Devices::verify_p256())),
		("devices.attest", Devices::attest(attest)),
		("devices.revoke_attestations", Devices::revoke_attestations(attest)),
		("devices.accept_transfer", Devices::accept_transfer()),
		("devices.remove", Devices::remove()),
		("devices.publish_firmware", Devices::publish_firmware()),
		("devices.report_equivocation", Devices::report_equivocation()),
		("obligations.create_for_device", Obligations::create_for_device().saturating_add(Devices::verify_p256())),
		("obligations.pay", Obligations::pay()),
		("obligations.mark_defaulted", Obligations::mark_defaulted()),
		("obligations.archive", Obligations::archive()),
		("obligations.publish_offer", Obligations::publish_offer()),
		("obligations.claim_breach", Obligations::claim_breach()),
		("obligations.claim_silence", Obligations::claim_silence()),
		("consortium.add_validator", Consortium::add_validator(validators)),
		("consortium.remove_validator", Consortium::remove_validator(validators)),
		("consortium.add_node", Consortium::add_node()),
		("balances.transfer_allow_death", <weights::pallet_balances::WeightInfo<Runtime> as pallet_balances::WeightInfo>::transfer_allow_death()),
		("session.set_keys", <weights::pallet_session::WeightInfo<Runtime> as pallet_session::WeightInfo>::set_keys()),
		("council.propose", <weights::pallet_collective::WeightInfo<Runtime> as pallet_collective::WeightInfo>::propose_proposed(proposal_bytes, members, proposals)),
		("council.vote", <weights::pallet_collective::WeightInfo<Runtime> as pallet_collective::WeightInfo>::vote(members)),
		("council.close (approved, without the motion)", <weights::pallet_collective::WeightInfo<Runtime> as pallet_collective::WeightInfo>::close_approved(proposal_bytes, members, proposals)),
		("councilMembership.add_member", <weights::pallet_membership::WeightInfo<Runtime> as pallet_membership::WeightInfo>::add_member(members - 1)),
		("councilMembership.reset_members", <weights::pallet_membership::WeightInfo<Runtime> as pallet_membership::WeightInfo>::reset_members(members)),
		("grandpa.note_stalled", <crate::configs::GrandpaWeights as pallet_grandpa::WeightInfo>::note_stalled()),
	]
}

#[test]
fn every_calls_worst_case_fits_in_one_extrinsic() {
	let limits = RuntimeBlockWeights::get();
	let normal = limits.get(DispatchClass::Normal);
	let max = normal.max_extrinsic.expect("normal extrinsics have a limit");
	let base = normal.base_extrinsic;
	let mut report = Vec::new();
	for (name, weight) in worst_cases() {
		let total = with_extensions(weight).saturating_add(base);
		report.push(format!(
			"{name}: {:.3} ms of {:.3} ms",
			total.ref_time() as f64 / 1e9,
			max.ref_time() as f64 / 1e9
		));
		assert!(total.all_lte(max), "{name} does not fit in one extrinsic:\n{}", report.join("\n"));
	}
	println!("{}", report.join("\n"));
}

#[test]
fn even_the_heaviest_anchor_leaves_room_for_others_in_its_block() {
	// Charged before it runs as if all 100 devices, with 200 summaries, carried the most SLAs (4)
	// each; refunded to what it used after. Even so, a gateway can have 4 of the largest anchors
	// in one block.
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).max_total.expect("limit");
	let anchor = with_extensions(pallet_anchoring::Pallet::<Runtime>::anchor_weight(100, 200));
	let per_block = normal.ref_time() / anchor.ref_time();
	assert!(per_block >= 4, "only {per_block} largest anchors fit in a block");
}

/// What a typical gateway pays a day: 100 devices reading 2 metrics once a second, anchored in
/// batches of all 100 devices, one batch per gateway cycle of 6 s (a batch is anchored when the
/// previous one is final: a 2 s block plus GRANDPA's round). docs/benchmarks.md ("Fees") prints
/// these figures.
#[test]
fn a_typical_gateway_pays_a_modest_fee_per_day() {
	use codec::Encode;
	use frame_support::dispatch::GetDispatchInfo;
	use iotrust_primitives::anchoring::MetricSummary;
	use sp_core::H256;

	const DEVICES: u8 = 100;
	const CYCLE_SECS: u64 = 6;
	let summaries: frame_support::BoundedVec<_, _> = vec![
		MetricSummary { id: 1, min: -1850, max: -1790 },
		MetricSummary { id: 2, min: 40, max: 55 },
	]
	.try_into()
	.expect("2 metrics fit");
	let ranges: Vec<_> = (0..DEVICES)
		.map(|i| pallet_anchoring::DeviceRange {
			device: H256::repeat_byte(i),
			first: 1_000,
			last: 1_000 + CYCLE_SECS - 1,
			summaries: summaries.clone(),
		})
		.collect();
	let call = RuntimeCall::Anchoring(pallet_anchoring::Call::anchor {
		batch: 7,
		root: H256::repeat_byte(0xaa),
		reading_count: u32::from(DEVICES) * CYCLE_SECS as u32,
		from_ms: 0,
		to_ms: 6_000,
		ranges: ranges.try_into().expect("100 devices fit"),
	});
	// A signed extrinsic adds the signer (33 bytes), an sr25519 signature (65), the extensions
	// (era, nonce, tip: about 5) and its length prefix (3).
	let length = call.encoded_size() as u32 + 106;
	let mut info = call.get_dispatch_info();
	info.extension_weight = with_extensions(Weight::zero());
	// Charged, after the call, what it used: the anchor and each device's SLA check, here
	// devices that no obligation watches.
	let used = {
		use pallet_anchoring::WeightInfo as _;
		use pallet_obligations::WeightInfo as _;
		pallet_anchoring::weights::SubstrateWeight::<Runtime>::anchor(
			DEVICES.into(),
			2 * u32::from(DEVICES),
		)
		.saturating_add(
			pallet_obligations::weights::SubstrateWeight::<Runtime>::on_anchored(0)
				.saturating_mul(DEVICES.into()),
		)
	};
	let post = frame_support::dispatch::PostDispatchInfo {
		actual_weight: Some(used),
		pays_fee: frame_support::dispatch::Pays::Yes,
	};
	sp_io::TestExternalities::default().execute_with(|| {
		let fee = pallet_transaction_payment::Pallet::<Runtime>::compute_actual_fee(
			length, &info, &post, 0,
		);
		let per_day = fee * u128::from(86_400 / CYCLE_SECS);
		let iotr = |planck: u128| planck as f64 / crate::UNIT as f64;
		println!(
			"anchor of {DEVICES} devices: {length} bytes, {:.3} ms, fee {:.5} IOTR; {:.1} IOTR a day",
			(used.saturating_add(info.extension_weight)).ref_time() as f64 / 1e9,
			iotr(fee),
			iotr(per_day)
		);
		// The figure in docs/benchmarks.md ("Fees"): below 300 IOTR a day at this cadence.
		assert!(per_day < 300 * crate::UNIT, "{:.1} IOTR a day", iotr(per_day));
	});
}
