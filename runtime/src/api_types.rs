//! The concrete types the runtime APIs return (defined in the pallets' runtime-api crates, so
//! clients can name them), and the conversions from what the pallets store.

use crate::{AccountId, Balance, BlockNumber, Runtime};

/// A device as the devices runtime API returns it.
pub type DeviceInfo = pallet_devices_runtime_api::DeviceInfo<AccountId, Balance, BlockNumber>;

/// A stored device record as clients see it: with every key it held, and its attestation
/// looked up with whether it still stands.
pub fn device_info(
	id: pallet_devices_runtime_api::DeviceId,
	record: pallet_devices::Device<Runtime>,
) -> DeviceInfo {
	use pallet_devices_runtime_api::{AttestationInfo, FirmwareInfo, MetadataInfo};
	let attestation = record
		.attestation
		.and_then(pallet_devices::Attestations::<Runtime>::get)
		.map(|a| AttestationInfo {
			status: crate::Devices::attestation_status(&a),
			manufacturer: a.manufacturer,
			model: a.model.into_inner(),
			attested_at: a.attested_at,
			revoked_at: a.revoked_at,
		});
	DeviceInfo {
		owner: record.owner,
		key: record.key,
		status: record.status,
		gateway: record.gateway,
		metadata: MetadataInfo {
			model: record.metadata.model.into_inner(),
			serial_hash: record.metadata.serial_hash,
			uri: record.metadata.uri.into_inner(),
		},
		firmware: record.firmware.map(|f| FirmwareInfo {
			version: f.version.into_inner(),
			hash: f.hash,
			reported_at: f.reported_at,
			matches_release: f.matches_release,
		}),
		attestation,
		registered_at: record.registered_at,
		deposit: record.deposit,
		rotations: record.rotations,
		firmware_reports: record.firmware_reports,
		keys: pallet_devices::KeyHistory::<Runtime>::get(id).into_inner(),
	}
}

/// An anchor as the anchoring runtime API returns it.
pub type AnchorInfo = pallet_anchoring_runtime_api::AnchorInfo<AccountId, BlockNumber>;

/// A stored anchor as clients see it.
pub fn anchor_info(anchor: pallet_anchoring::Anchor<Runtime>) -> AnchorInfo {
	AnchorInfo {
		gateway: anchor.gateway,
		batch: anchor.batch,
		root: anchor.root,
		reading_count: anchor.reading_count,
		from_ms: anchor.from_ms,
		to_ms: anchor.to_ms,
		ranges: anchor
			.ranges
			.into_iter()
			.map(|r| pallet_anchoring_runtime_api::RangeInfo {
				device: r.device,
				first: r.first,
				last: r.last,
				summaries: r.summaries.into_inner(),
			})
			.collect(),
		anchored_at: anchor.anchored_at,
	}
}

/// A reputation record as the reputation runtime API returns it.
pub type ReputationInfo =
	pallet_reputation_runtime_api::ReputationInfo<AccountId, Balance, BlockNumber>;

/// A record (already decayed to now) as clients see it, with its score and credit limit.
pub fn reputation_info(record: pallet_reputation::Record<Runtime>) -> ReputationInfo {
	ReputationInfo {
		score: crate::Reputation::score_of_record(&record),
		credit_limit: crate::Reputation::credit_of(Some(&record)),
		on_time: record.on_time,
		late: record.late,
		defaulted: record.defaulted,
		cancelled: record.cancelled,
		forfeited: record.forfeited,
		good: record.good,
		bad: record.bad,
		earned: record.earned,
		counterparties: record.counterparties.into_iter().map(|c| (c.account, c.paid)).collect(),
		updated_at: record.updated_at,
	}
}

/// An obligation as the obligations runtime API returns it.
pub type ObligationInfo =
	pallet_obligations_runtime_api::ObligationInfo<AccountId, Balance, BlockNumber>;

/// A page of obligations as the obligations runtime API returns it.
pub type ObligationPage = pallet_obligations_runtime_api::Page<AccountId, Balance, BlockNumber>;

/// An offer as the obligations runtime API returns it.
pub type OfferInfo = pallet_obligations_runtime_api::OfferInfo<AccountId, Balance, BlockNumber>;

/// A stored obligation as clients see it, with what is still to pay.
pub fn obligation_info(o: pallet_obligations::Obligation<Runtime>) -> ObligationInfo {
	ObligationInfo {
		remaining: o.remaining(),
		consumer: o.consumer,
		provider: o.provider,
		offer: o.offer,
		amount: o.amount,
		paid: o.paid,
		penalty: o.penalty,
		breaches: o.breaches,
		last_breach: o.last_breach,
		credit_fee: o.credit_fee,
		service_hash: o.service_hash,
		note: o.note.into_inner(),
		created: o.created,
		due: o.due,
		consumer_device: o.consumer_device,
		provider_device: o.provider_device,
		sla: o.sla,
		deposit: o.deposit,
		status: o.status,
		closed_at: o.closed_at,
	}
}

/// A page of a stream as clients see it.
pub fn page(p: pallet_obligations::Page<Runtime>) -> ObligationPage {
	ObligationPage {
		items: p.items.into_iter().map(|(id, o)| (id, obligation_info(o))).collect(),
		next: p.next,
	}
}

/// A stored offer as clients see it.
pub fn offer_info(offer: pallet_obligations::Offer<Runtime>) -> OfferInfo {
	let t = offer.terms;
	OfferInfo {
		provider: offer.provider,
		service_hash: t.service_hash,
		min_amount: t.min_amount,
		max_amount: t.max_amount,
		due_in: t.due_in,
		min_score: t.min_score,
		device: t.device,
		sla: t.sla,
		deposit: offer.deposit,
	}
}
