//! Benchmarks for the groups pallet at their worst case: groups of `n` gateways of `n` different
//! consortium members (every membership checked), and as many open proposals as a group can have
//! (one per member), which a change or a dissolution clears and a new proposal scans.

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

/// `n` gateways, each of its own consortium member.
fn memberships<T: Config>(n: u32) -> BoundedVec<Membership<T::AccountId>, T::MaxMembers> {
	(0..n)
		.map(|i| {
			let member: T::AccountId = account("member", i, 0);
			if !T::Consortium::contains(&member) {
				T::Consortium::add(&member);
			}
			Membership { gateway: account("gateway", i, 0), member }
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most MaxMembers; qed")
}

/// Group 0 of `n` members signing `n` at a time, with `open` of its members each proposing a call.
fn group_with_proposals<T: Config>(n: u32, open: u32) -> Result<(), BenchmarkError> {
	let origin =
		T::ManageOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
	Pallet::<T>::create_group(origin, memberships::<T>(n), n)?;
	for i in 0..open {
		let gateway: T::AccountId = account("gateway", i, 0);
		Pallet::<T>::approve(
			RawOrigin::Signed(gateway).into(),
			0,
			Box::new(T::BenchmarkHelper::allowed_call(i)),
		)
		.map_err(|e| e.error)?;
	}
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A group of `n` members.
	#[benchmark]
	fn create_group(n: Linear<2, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		let origin =
			T::ManageOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let members = memberships::<T>(n);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, members, n);

		assert!(Groups::<T>::contains_key(0));
		Ok(())
	}

	/// A group of the most members, each with a proposal open, changed to `n` members.
	#[benchmark]
	fn change_group(n: Linear<2, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		let most = T::MaxMembers::get();
		group_with_proposals::<T>(most, most)?;
		let origin =
			T::ManageOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let members = memberships::<T>(n);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, members, n);

		assert_eq!(Groups::<T>::get(0).map(|g| g.epoch), Some(2));
		assert_eq!(Proposals::<T>::iter_prefix(0).count(), 0);
		Ok(())
	}

	/// A group of the most members, each with a proposal open, dissolved.
	#[benchmark]
	fn dissolve_group() -> Result<(), BenchmarkError> {
		let most = T::MaxMembers::get();
		group_with_proposals::<T>(most, most)?;
		let origin =
			T::ManageOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0);

		assert!(!Groups::<T>::contains_key(0));
		Ok(())
	}

	/// The last of `n` members confirms the key, which becomes active.
	#[benchmark]
	fn confirm_key(n: Linear<2, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		group_with_proposals::<T>(n, 0)?;
		for i in 0..n - 1 {
			let gateway: T::AccountId = account("gateway", i, 0);
			Pallet::<T>::confirm_key(RawOrigin::Signed(gateway).into(), 0, 1, [7; 32], [1; 32])?;
		}
		let last: T::AccountId = account("gateway", n - 1, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(last), 0, 1, [7; 32], [1; 32]);

		assert!(<Pallet<T> as GatewayGroups<T::AccountId>>::active_key(0).is_some());
		Ok(())
	}

	/// The last of `n` members opens a proposal beside the others' (all of them scanned). The
	/// call the proposal makes once approved is charged on top, at its own weight.
	#[benchmark]
	fn approve(n: Linear<2, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		group_with_proposals::<T>(n, n - 1)?;
		let last: T::AccountId = account("gateway", n - 1, 0);
		let call = Box::new(T::BenchmarkHelper::allowed_call(n - 1));

		#[extrinsic_call]
		_(RawOrigin::Signed(last), 0, call);

		assert_eq!(Proposals::<T>::iter_prefix(0).count() as u32, n);
		Ok(())
	}

	/// A member takes back its approval of a call `n` members approve.
	#[benchmark]
	fn withdraw(n: Linear<2, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		// One more member than approvals, so that the last approval does not make the call.
		let most = T::MaxMembers::get();
		let approvals = n.min(most - 1);
		group_with_proposals::<T>(most, 0)?;
		let call = T::BenchmarkHelper::allowed_call(0);
		for i in 0..approvals {
			let gateway: T::AccountId = account("gateway", i, 0);
			Pallet::<T>::approve(RawOrigin::Signed(gateway).into(), 0, Box::new(call.clone()))
				.map_err(|e| e.error)?;
		}
		let call_hash = H256(sp_io::hashing::blake2_256(&call.encode()));
		let last: T::AccountId = account("gateway", approvals - 1, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(last), 0, call_hash);

		assert!(Proposals::<T>::get(0, call_hash).is_some());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
