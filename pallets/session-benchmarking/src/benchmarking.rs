//! The worst case of each call: keys are replaced (not set for the first time) and removed
//! with their deposit held.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use sp_runtime::{traits::Convert, Saturating};

type Session<T> = pallet_session::Pallet<T>;

/// An account that can pay the key deposit, with keys already set.
fn validator_with_keys<T: Config>() -> Result<T::AccountId, BenchmarkError> {
	let who: T::AccountId = whitelisted_caller();
	let deposit = T::KeyDeposit::get();
	let funds = <T as pallet_session::Config>::Currency::minimum_balance()
		.saturating_add(deposit.saturating_mul(10u32.into()));
	<T as pallet_session::Config>::Currency::set_balance(&who, funds);
	let (keys, proof) = T::generate_session_keys_and_proof(who.clone());
	Session::<T>::set_keys(RawOrigin::Signed(who.clone()).into(), keys, proof)?;
	Ok(who)
}

/// The keys `who` has queued for the next session.
fn next_keys<T: Config>(who: T::AccountId) -> Option<T::Keys> {
	<T as pallet_session::Config>::ValidatorIdOf::convert(who)
		.and_then(pallet_session::NextKeys::<T>::get)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_keys() -> Result<(), BenchmarkError> {
		let who = validator_with_keys::<T>()?;
		let (keys, proof) = T::generate_session_keys_and_proof(who.clone());
		#[block]
		{
			Session::<T>::set_keys(RawOrigin::Signed(who.clone()).into(), keys.clone(), proof)?;
		}
		assert_eq!(next_keys::<T>(who), Some(keys));
		Ok(())
	}

	#[benchmark]
	fn purge_keys() -> Result<(), BenchmarkError> {
		let who = validator_with_keys::<T>()?;
		#[block]
		{
			Session::<T>::purge_keys(RawOrigin::Signed(who.clone()).into())?;
		}
		assert!(next_keys::<T>(who).is_none());
		Ok(())
	}
}
