//! SLAs: the terms an obligation fixes, the evidence of a breach the chain checks (a reading the
//! device signed, a group's summary, a gap, silence), and the penalty each costs.

use crate::*;

/// The most levels a claimed reading's proof may climb: a batch holds at most `u32::MAX`
/// readings.
pub const MAX_PROOF_DEPTH: usize = 32;

impl<T: Config> Pallet<T> {
	/// SLA terms a provider may offer: bounds with at least one side, the lower not above the
	/// upper. (The longest silence is checked apart, for its own error.)
	pub(crate) fn is_valid_sla(rule: &ThresholdRule) -> bool {
		(rule.min.is_some() || rule.max.is_some())
			&& rule.min.zip(rule.max).is_none_or(|(min, max)| min <= max)
	}

	/// Cut pending `obligation` by `times` SLA penalties for `breach`, in memory: the event is
	/// deposited, the caller stores it (or closes it, see [`Pallet::settle`]). The breach found
	/// in the last anchor [`Config::MaxBreaches`] allows takes all that is left, so that
	/// rounding never leaves a remainder no further breach could reach.
	fn cut(
		id: ObligationId,
		obligation: &mut Obligation<T>,
		breach: Breach<BlockNumberFor<T>>,
		times: u32,
	) {
		let remaining = obligation.remaining();
		let each = T::SlaPenalty::get().mul_floor(obligation.amount);
		let mut cut = each.saturating_mul(times.into()).min(remaining);
		if let Some(anchor) = breach.anchor() {
			obligation.last_breach = Some(anchor);
			if obligation.counted.try_push(anchor).is_err() || obligation.counted.is_full() {
				cut = remaining;
			}
		}
		obligation.penalty = obligation.penalty.saturating_add(cut);
		obligation.breaches = obligation.breaches.saturating_add(times);
		Self::reduce_outstanding(&obligation.consumer, cut);
		Self::deposit_event(Event::PenaltyApplied { id, breach, cut });
	}

	/// Store `obligation` after penalties, or close it as forfeited if nothing is left to pay.
	fn settle(id: ObligationId, obligation: Obligation<T>) {
		if obligation.remaining().is_zero() {
			let penalty = obligation.penalty;
			Self::close(id, obligation, Status::Forfeited, Outcome::Forfeited, penalty);
			Self::deposit_event(Event::Forfeited { id, penalty });
		} else {
			Obligations::<T>::insert(id, obligation);
		}
	}

	/// Whether a breach found in `anchor` may still count against `obligation`: it is pending,
	/// and no breach in that anchor has counted yet (each anchor counts once, in any order).
	fn may_count(obligation: &Obligation<T>, anchor: AnchorId) -> bool {
		obligation.status == Status::Pending && !obligation.counted.contains(&anchor)
	}

	/// The stretches of silence of `obligation`'s serving device that ended before block `now`
	/// and by its due block and are not judged yet: where the first starts, where the last
	/// ends, and how many (at most [`Config::MaxBreaches`]).
	fn silent_stretches(
		obligation: &Obligation<T>,
		now: BlockNumberFor<T>,
	) -> Option<(BlockNumberFor<T>, BlockNumberFor<T>, u32)> {
		let (sla, from) = Self::silence_from(obligation)?;
		let end = now.saturating_sub(One::one()).min(obligation.due);
		let span = end.checked_sub(&from)?;
		let stretches: u32 = (span / sla.max_silence).unique_saturated_into();
		let stretches = stretches.min(T::MaxBreaches::get());
		if stretches == 0 {
			return None;
		}
		let to = from.saturating_add(sla.max_silence.saturating_mul(stretches.into()));
		Some((from, to, stretches))
	}

	/// Keep the SLAs watching `range.device` after it was anchored: silence that ended before
	/// this anchor is judged first (an anchor ends a silence, it does not erase it); then the
	/// device was seen now, and a group-signed summary outside an obligation's bounds or a gap
	/// during its term is a breach. Returns how many obligations it examined.
	pub(crate) fn observe(range: AnchoredRange<'_, T::AccountId>) -> u32 {
		let watchers = SlaWatch::<T>::get(range.device);
		if watchers.is_empty() {
			return 0;
		}
		let now = frame_system::Pallet::<T>::block_number();
		for id in watchers.iter().copied() {
			let Some(mut obligation) = Obligations::<T>::get(id) else { continue };
			let Some(sla) = obligation.sla else { continue };
			if obligation.status != Status::Pending {
				continue;
			}
			let mut changed = false;
			if let Some((from, to, times)) = Self::silent_stretches(&obligation, now) {
				obligation.silent_until = to;
				Self::cut(id, &mut obligation, Breach::Silence { from, to }, times);
				changed = true;
			}
			let in_term = now <= obligation.due;
			let breach = if !in_term || !Self::may_count(&obligation, range.anchor) {
				None
			} else if range.gap && range.gateway != &obligation.consumer {
				// Readings the device signed that no anchor will hold: the provider answers for
				// its gateway. (A consumer's own gateway cannot make them on its word.)
				Some(Breach::Gap { anchor: range.anchor })
			} else if range.endorsed && range.summaries.iter().any(|s| sla.bounds.is_breached_by(s))
			{
				Some(Breach::Summary { anchor: range.anchor })
			} else {
				None
			};
			if let Some(breach) = breach.filter(|_| !obligation.remaining().is_zero()) {
				Self::cut(id, &mut obligation, breach, 1);
				changed = true;
			}
			if changed {
				Self::settle(id, obligation);
			}
		}
		SlaSeen::<T>::mutate_exists(range.device, |seen| {
			// The watch list may have emptied above (a forfeit): then nothing is kept.
			*seen = SlaWatch::<T>::contains_key(range.device).then_some(now);
		});
		watchers.len() as u32
	}

	/// The body of [`Pallet::claim_breach`], its origin checked.
	pub(crate) fn do_claim_breach(
		id: ObligationId,
		anchor: AnchorId,
		reading: SignedReading,
		proof: MerkleProof,
	) -> DispatchResult {
		ensure!(
			reading.metrics.len() <= T::MaxReadingMetrics::get() as usize
				&& proof.siblings.len() <= MAX_PROOF_DEPTH,
			Error::<T>::EvidenceTooLarge
		);
		let mut obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
		let (Some(sla), Some(device)) = (obligation.sla, obligation.provider_device) else {
			return Err(Error::<T>::NoSla.into());
		};
		ensure!(reading.device == device, Error::<T>::NotServingDevice);
		let at: BlockNumberFor<T> = T::Anchors::anchored_at(anchor)
			.ok_or(Error::<T>::UnknownAnchor)?
			.unique_saturated_into();
		// After the block it was accepted in (an anchor earlier in that block came before it).
		ensure!(obligation.created < at && at <= obligation.due, Error::<T>::OutsideTerm);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= at.saturating_add(T::DisputeWindow::get()), Error::<T>::DisputeWindowOver);
		ensure!(Self::may_count(&obligation, anchor), Error::<T>::BreachAlreadyCounted);
		ensure!(sla.bounds.is_breached_by_reading(&reading.metrics), Error::<T>::NotABreach);
		match T::Anchors::check_reading(anchor, &reading, &proof) {
			ReadingCheck::Anchored | ReadingCheck::AnchoredByGroup { .. } => {},
			ReadingCheck::UnknownAnchor => return Err(Error::<T>::UnknownAnchor.into()),
			ReadingCheck::NotInRange => return Err(Error::<T>::ReadingNotInRange.into()),
			ReadingCheck::BadProof => return Err(Error::<T>::BadProof.into()),
			ReadingCheck::BadSignature => return Err(Error::<T>::BadReadingSignature.into()),
		}
		Self::cut(id, &mut obligation, Breach::Reading { anchor, seq: reading.seq }, 1);
		Self::settle(id, obligation);
		Ok(())
	}

	/// `obligation`'s SLA and where its serving device's silence runs from now: the later of
	/// where it was last judged and the device's last anchor.
	fn silence_from(obligation: &Obligation<T>) -> Option<(SlaOf<T>, BlockNumberFor<T>)> {
		let (sla, device) = (obligation.sla?, obligation.provider_device?);
		let seen = SlaSeen::<T>::get(device).unwrap_or_else(Zero::zero);
		Some((sla, obligation.silent_until.max(seen)))
	}

	/// Where the silence of `obligation`'s serving device runs from now, and where it becomes a
	/// breach.
	pub fn silence_of(
		obligation: &Obligation<T>,
	) -> Option<(BlockNumberFor<T>, BlockNumberFor<T>)> {
		let (sla, from) = Self::silence_from(obligation)?;
		Some((from, from.checked_add(&sla.max_silence)?))
	}

	/// The body of [`Pallet::claim_silence`], its origin checked.
	pub(crate) fn do_claim_silence(id: ObligationId) -> DispatchResult {
		let mut obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
		ensure!(obligation.sla.is_some(), Error::<T>::NoSla);
		let (from, to) = Self::silence_of(&obligation).ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(to < now && to <= obligation.due, Error::<T>::NotSilent);
		obligation.silent_until = to;
		Self::cut(id, &mut obligation, Breach::Silence { from, to }, 1);
		Self::settle(id, obligation);
		Ok(())
	}
}

impl<T: Config> OnAnchored<T::AccountId> for Pallet<T> {
	fn on_anchored(range: AnchoredRange<'_, T::AccountId>) -> Weight {
		T::WeightInfo::on_anchored(Self::observe(range))
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_anchored(T::MaxSlaPerDevice::get())
	}
}
