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

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(3), crate::mock::Test);
}
