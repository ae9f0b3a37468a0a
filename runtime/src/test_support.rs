//! What the runtime's tests share: externalities that check every pallet's invariants once a
//! test is done, as `try_state` would on a live chain.

use crate::{Anchoring, Consortium, Devices, Groups, Obligations, Reputation};

/// Test externalities whose [`CheckedExt::execute_with`] runs the pallets' invariant checks
/// after the test's closure.
pub struct CheckedExt(pub sp_io::TestExternalities);

impl CheckedExt {
	/// Run `test`, then check the invariants of every pallet that has them.
	pub fn execute_with<R>(&mut self, test: impl FnOnce() -> R) -> R {
		self.0.execute_with(|| {
			let result = test();
			check_invariants();
			result
		})
	}
}

/// Every iotrust pallet's invariants hold on the current state.
pub fn check_invariants() {
	Consortium::do_try_state().expect("the consortium pallet's invariants hold");
	Devices::do_try_state().expect("the devices pallet's invariants hold");
	Anchoring::do_try_state().expect("the anchoring pallet's invariants hold");
	Groups::do_try_state().expect("the groups pallet's invariants hold");
	Obligations::do_try_state().expect("the obligations pallet's invariants hold");
	Reputation::do_try_state().expect("the reputation pallet's invariants hold");
}
