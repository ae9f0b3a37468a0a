//! Benchmarks for the consortium pallet, at their worst case: a full validator set.

use super::*;
use frame_benchmarking::v2::*;

fn fill_validators<T: Config>(n: u32) -> Vec<T::AccountId> {
	let validators: Vec<T::AccountId> = (0..n).map(|i| account("validator", i, 0)).collect();
	let bounded: BoundedVec<_, T::MaxValidators> =
		validators.clone().try_into().expect("n is at most MaxValidators; qed");
	Validators::<T>::put(bounded);
	validators
}

/// Fill the authorized nodes with `n` peer ids of the longest length; returns the last.
fn fill_nodes<T: Config>(n: u32) -> Result<PeerIdOf<T>, BenchmarkError> {
	let mut nodes = NodesOf::<T>::new();
	let mut last = PeerIdOf::<T>::default();
	for i in 0..n {
		let mut raw = alloc::vec![0xab; T::MaxPeerIdLength::get() as usize];
		raw[..4].copy_from_slice(&i.to_le_bytes());
		last = raw.try_into().map_err(|_| BenchmarkError::Weightless)?;
		nodes
			.try_insert(last.clone(), account("owner", i, 0))
			.map_err(|_| BenchmarkError::Weightless)?;
	}
	Nodes::<T>::put(nodes);
	Ok(last)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Adding to a set of `n` validators: the membership scan is linear in `n`.
	#[benchmark]
	fn add_validator(n: Linear<1, { T::MaxValidators::get() - 1 }>) -> Result<(), BenchmarkError> {
		fill_validators::<T>(n);
		let origin =
			T::ValidatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let new: T::AccountId = account("new", 0, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, new.clone());

		assert!(Validators::<T>::get().contains(&new));
		Ok(())
	}

	/// Removing the last of `n` validators: the scan reaches the end.
	#[benchmark]
	fn remove_validator(
		n: Linear<{ T::MinValidators::get() + 1 }, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		let validators = fill_validators::<T>(n);
		let last = validators.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let origin =
			T::ValidatorOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, last.clone());

		assert!(!Validators::<T>::get().contains(&last));
		Ok(())
	}

	/// The overhead of dispatching as root; the inner call's weight is added at dispatch.
	#[benchmark]
	fn dispatch_as_root() -> Result<(), BenchmarkError> {
		let origin =
			T::RootOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: Vec::new() }.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Box::new(call));

		Ok(())
	}

	/// Authorizing a node beside `MaxNodes - 1` others of the longest peer ids: the whole set is
	/// read and written.
	#[benchmark]
	fn add_node() -> Result<(), BenchmarkError> {
		fill_nodes::<T>(T::MaxNodes::get() - 1)?;
		let origin =
			T::NodeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let peer: PeerIdOf<T> = alloc::vec![0xcd; T::MaxPeerIdLength::get() as usize]
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, peer.clone(), account("owner", 0, 1));

		assert!(Nodes::<T>::get().contains_key(&peer));
		Ok(())
	}

	/// Removing a node from a full set.
	#[benchmark]
	fn remove_node() -> Result<(), BenchmarkError> {
		let last = fill_nodes::<T>(T::MaxNodes::get())?;
		let origin =
			T::NodeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, last.clone());

		assert!(!Nodes::<T>::get().contains_key(&last));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(3), crate::mock::Test);
}
