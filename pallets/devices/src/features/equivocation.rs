//! A device caught signing two different readings under one sequence number: the evidence is
//! checked and the device flagged on chain, for every verifier to see.

use crate::*;
use iotrust_primitives::merkle::SignedReading;

/// The most metrics a reading given as evidence may carry.
pub const MAX_EVIDENCE_METRICS: usize = 32;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::report_equivocation`], its origin checked.
	pub(crate) fn do_report_equivocation(
		reporter: T::AccountId,
		first: SignedReading,
		second: SignedReading,
	) -> DispatchResult {
		ensure!(
			first.metrics.len() <= MAX_EVIDENCE_METRICS
				&& second.metrics.len() <= MAX_EVIDENCE_METRICS,
			Error::<T>::EvidenceTooLarge
		);
		ensure!(
			first.device == second.device && first.seq == second.seq,
			Error::<T>::EvidenceNotConflicting
		);
		let device = first.device;
		let genesis = Self::genesis_hash();
		let genesis = H256::from_slice(genesis.as_ref());
		let (a, b) = (first.payload(&genesis), second.payload(&genesis));
		ensure!(a != b, Error::<T>::EvidenceNotConflicting);
		let key = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?.key;
		let record = Equivocations::<T>::get(device);
		ensure!(
			record.as_ref().is_none_or(|r| first.seq > r.last_seq),
			Error::<T>::AlreadyReported
		);
		// The device's current key signed both: a key it rotated away from (perhaps because it
		// leaked) speaks for no one, and could otherwise report at a number no real report
		// would then reach.
		ensure!(
			key.verify(&a, &first.signature) && key.verify(&b, &second.signature),
			Error::<T>::BadEvidenceSignature
		);
		let now = frame_system::Pallet::<T>::block_number();
		let count = record.map_or(1, |r| r.count.saturating_add(1));
		Equivocations::<T>::insert(
			device,
			Equivocation { count, last_seq: first.seq, reported_at: now },
		);
		Self::deposit_event(Event::Equivocated { device, seq: first.seq, reporter, count });
		Ok(())
	}
}
