//! Each party's stream of obligations, page by page.

use crate::*;

impl<T: Config> Pallet<T> {
	/// A page of a stream: at most `limit` obligations with `status` (any if `None`) among
	/// the stream's ids after `start_after`, examining at most [`MAX_SCAN`] entries.
	pub(crate) fn page(
		ids: impl Iterator<Item = [u8; 8]>,
		status: Option<Status>,
		limit: u32,
	) -> Page<T> {
		let mut items = Vec::new();
		let mut last = None;
		let mut more = false;
		for (scanned, raw) in ids.enumerate() {
			if items.len() as u32 >= limit || scanned as u32 >= MAX_SCAN {
				more = true;
				break;
			}
			let id = ObligationId::from_be_bytes(raw);
			last = Some(id);
			if let Some(obligation) = Obligations::<T>::get(id) {
				if status.is_none_or(|s| s == obligation.status) {
					items.push((id, obligation));
				}
			}
		}
		Page { items, next: if more { last } else { None } }
	}

	/// A page of `who`'s stream on `side`, oldest first (see [`Page`]).
	pub fn stream(
		side: Side,
		who: T::AccountId,
		status: Option<Status>,
		start_after: Option<ObligationId>,
		limit: u32,
	) -> Page<T> {
		let key = (side, who);
		let ids: alloc::boxed::Box<dyn Iterator<Item = [u8; 8]>> = match start_after {
			Some(after) => alloc::boxed::Box::new(Streams::<T>::iter_key_prefix_from(
				&key,
				Streams::<T>::hashed_key_for(&key, after.to_be_bytes()),
			)),
			None => alloc::boxed::Box::new(Streams::<T>::iter_key_prefix(&key)),
		};
		Self::page(ids, status, limit)
	}
}
