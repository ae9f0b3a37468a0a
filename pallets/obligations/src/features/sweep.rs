//! Defaulting overdue obligations: the due queue and the idle sweep.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The [`DueQueue`] key of obligation `id` due at `due`.
	pub(crate) fn due_key(due: BlockNumberFor<T>, id: ObligationId) -> [u8; 16] {
		let due: u64 = due.unique_saturated_into();
		let mut key = [0u8; 16];
		key[..8].copy_from_slice(&due.to_be_bytes());
		key[8..].copy_from_slice(&id.to_be_bytes());
		key
	}

	/// Whether `obligation`'s grace period is over.
	pub(crate) fn is_overdue(obligation: &Obligation<T>) -> bool {
		frame_system::Pallet::<T>::block_number()
			> obligation.due.saturating_add(GracePeriod::<T>::get())
	}

	/// Default up to `max` overdue obligations, earliest due first; returns how many.
	pub(crate) fn sweep(now: BlockNumberFor<T>, max: u32) -> u32 {
		if max == 0 {
			return 0;
		}
		let grace: u64 = GracePeriod::<T>::get().unique_saturated_into();
		let now: u64 = now.unique_saturated_into();
		let overdue: Vec<[u8; 16]> = DueQueue::<T>::iter_keys()
			.take(max as usize)
			.take_while(|key| {
				let mut due = [0u8; 8];
				due.copy_from_slice(&key[..8]);
				u64::from_be_bytes(due).saturating_add(grace) < now
			})
			.collect();
		let mut done = 0;
		for key in overdue {
			let mut raw = [0u8; 8];
			raw.copy_from_slice(&key[8..]);
			let id = ObligationId::from_be_bytes(raw);
			match Obligations::<T>::get(id) {
				Some(obligation) if obligation.status == Status::Pending => {
					Self::default(id, obligation);
				},
				// Not pending any more: a stale entry, dropped.
				_ => DueQueue::<T>::remove(key),
			}
			done += 1;
		}
		done
	}
}
