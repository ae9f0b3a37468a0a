//! SLAs: the terms an obligation fixes, and the penalties anchored readings outside them cost.

use crate::*;

impl<T: Config> Pallet<T> {
	/// SLA bounds with at least one side, the lower not above the upper.
	pub(crate) fn is_valid_sla(rule: &ThresholdRule) -> bool {
		(rule.min.is_some() || rule.max.is_some())
			&& rule.min.zip(rule.max).is_none_or(|(min, max)| min <= max)
	}

	/// Apply SLA penalties for `gateway`'s batch `anchor`, in which `device` showed
	/// `summaries`, to the pending obligations watching `device`; returns how many it examined.
	pub(crate) fn apply_penalties(
		anchor: AnchorId,
		gateway: &T::AccountId,
		device: &DeviceId,
		summaries: &[MetricSummary],
	) -> u32 {
		let watchers = SlaWatch::<T>::get(device);
		if watchers.is_empty() {
			return 0;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let owner = T::Devices::owner_of(device);
		for id in watchers.iter().copied() {
			let Some(mut obligation) = Obligations::<T>::get(id) else { continue };
			let Some(rule) = obligation.sla else { continue };
			let applies = obligation.status == Status::Pending &&
				now <= obligation.due &&
				// A consumer's own gateway cannot prove its provider's service was poor.
				&obligation.consumer != gateway &&
				// Nor can a device that is no longer the provider's.
				owner.as_ref() == Some(&obligation.provider) &&
				obligation.last_breach.is_none_or(|last| anchor > last) &&
				summaries.iter().any(|s| rule.is_breached_by(s));
			if !applies {
				continue;
			}
			let remaining = obligation.remaining();
			let cut = T::SlaPenalty::get().mul_floor(obligation.amount).min(remaining);
			obligation.penalty = obligation.penalty.saturating_add(cut);
			obligation.breaches = obligation.breaches.saturating_add(1);
			obligation.last_breach = Some(anchor);
			Self::reduce_outstanding(&obligation.consumer, cut);
			Self::deposit_event(Event::PenaltyApplied { id, anchor, cut });
			if obligation.remaining().is_zero() {
				let penalty = obligation.penalty;
				Self::close(id, obligation, Status::Forfeited, Outcome::Forfeited, penalty);
				Self::deposit_event(Event::Forfeited { id, penalty });
			} else {
				Obligations::<T>::insert(id, obligation);
			}
		}
		watchers.len() as u32
	}
}

impl<T: Config> OnAnchored<T::AccountId> for Pallet<T> {
	fn on_anchored(
		anchor: AnchorId,
		gateway: &T::AccountId,
		device: &DeviceId,
		summaries: &[MetricSummary],
	) -> Weight {
		let watchers = Self::apply_penalties(anchor, gateway, device, summaries);
		T::WeightInfo::on_anchored(watchers)
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_anchored(T::MaxSlaPerDevice::get())
	}
}
