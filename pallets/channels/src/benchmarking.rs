//! Benchmarks for the channels pallet at their worst case: channels with the most members and
//! auditors (every membership checked, every recipient's key read), membership changes that
//! replace every member but the owner, and deliveries of the most keys at once.

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

/// Give `who` enough to hold any of this pallet's deposits many times over.
fn fund<T: Config>(who: &T::AccountId) {
	let each = T::ChannelDeposit::get()
		.saturating_add(T::MemberDeposit::get())
		.saturating_add(T::EpochDeposit::get())
		.saturating_add(T::SealedKeyDeposit::get())
		.saturating_add(T::DocumentDeposit::get())
		.saturating_add(T::KeyDeposit::get());
	let plenty =
		each.saturating_mul(10_000u32.into()).saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, plenty);
}

/// A funded account with an encryption key: a consortium member when `member`.
fn account_with_key<T: Config>(name: &'static str, i: u32, member: bool) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	fund::<T>(&who);
	if member && !T::Consortium::contains(&who) {
		T::Consortium::add(&who);
	}
	let mut key = [0x11u8; 32];
	key[..4].copy_from_slice(&i.to_le_bytes());
	let _ = Pallet::<T>::set_encryption_key(RawOrigin::Signed(who.clone()).into(), key);
	who
}

/// Member `i` (member 0 owns the channels).
fn member<T: Config>(i: u32) -> T::AccountId {
	account_with_key::<T>("member", i, true)
}

/// Auditor `i`.
fn auditor<T: Config>(i: u32) -> T::AccountId {
	account_with_key::<T>("auditor", i, false)
}

/// A stand-in sealed key: the chain never opens one.
fn sealed(n: u32) -> SealedKey {
	SealedKey { enc: [n as u8; 32], ciphertext: [n as u8; 48] }
}

/// A key identifier different for each `n`.
fn key_id(n: u32) -> KeyId {
	let mut id = [0xabu8; 32];
	id[..4].copy_from_slice(&n.to_le_bytes());
	id
}

/// Keys sealed to each of `to`.
fn keys_for<T: Config>(to: &[T::AccountId]) -> SealedKeysOf<T> {
	to.iter()
		.enumerate()
		.map(|(i, who)| (who.clone(), sealed(i as u32)))
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most MaxMembers + MaxAuditors; qed")
}

/// Channel 0, owned by member 0, with members `0..members` (writers) and auditors
/// `0..auditors` whose windows hold now, each holding the current epoch's key. Its recipients.
fn channel<T: Config>(members: u32, auditors: u32) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let owner = member::<T>(0);
	let others: BoundedVec<_, T::MaxMembers> = (1..members)
		.map(|i| (member::<T>(i), Role::Writer))
		.collect::<Vec<_>>()
		.try_into()
		.map_err(|_| BenchmarkError::Weightless)?;
	let mut recipients: Vec<T::AccountId> = [owner.clone()].into_iter().collect();
	recipients.extend(others.iter().map(|(who, _)| who.clone()));
	Pallet::<T>::create_channel(RawOrigin::Signed(owner.clone()).into(), others, None)?;
	Pallet::<T>::rotate_key(
		RawOrigin::Signed(owner.clone()).into(),
		0,
		key_id(0),
		keys_for::<T>(&recipients),
	)?;
	let now = frame_system::Pallet::<T>::block_number();
	let until = now.saturating_add(1_000u32.into());
	for i in 0..auditors {
		let who = auditor::<T>(i);
		Pallet::<T>::grant_auditor(
			RawOrigin::Signed(owner.clone()).into(),
			0,
			who.clone(),
			now,
			until,
		)?;
		recipients.push(who);
	}
	if auditors > 0 {
		Pallet::<T>::rotate_key(
			RawOrigin::Signed(owner).into(),
			0,
			key_id(1),
			keys_for::<T>(&recipients),
		)?;
	}
	Ok(recipients)
}

/// Split `n` recipients into members (as many as fit) and auditors.
fn split<T: Config>(n: u32) -> (u32, u32) {
	let members = n.min(T::MaxMembers::get());
	(members, n.saturating_sub(members))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A first registration, which holds a deposit.
	#[benchmark]
	fn set_encryption_key() {
		let who: T::AccountId = account("member", 0, 0);
		fund::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), [7u8; 32]);

		assert!(EncryptionKeys::<T>::contains_key(&who));
	}

	/// A channel of `n` members.
	#[benchmark]
	fn create_channel(n: Linear<1, { T::MaxMembers::get() }>) -> Result<(), BenchmarkError> {
		let owner = member::<T>(0);
		let others: BoundedVec<_, T::MaxMembers> = (1..n)
			.map(|i| (member::<T>(i), Role::Reader))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), others, None);

		assert_eq!(Channels::<T>::get(0).map(|c| c.members.len() as u32), Some(n));
		Ok(())
	}

	/// Every member but the owner replaced, for a new epoch of `n` recipients.
	#[benchmark]
	fn change_members(
		n: Linear<2, { T::MaxMembers::get() + T::MaxAuditors::get() }>,
	) -> Result<(), BenchmarkError> {
		let (members, auditors) = split::<T>(n);
		let before = channel::<T>(members, auditors)?;
		let remove: BoundedVec<_, T::MaxMembers> = before
			.iter()
			.skip(1)
			.take(members as usize - 1)
			.cloned()
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;
		let add: BoundedVec<_, T::MaxMembers> = (0..members - 1)
			.map(|i| (member::<T>(1_000 + i), Role::Reader))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;
		let mut after: Vec<T::AccountId> = [member::<T>(0)].into_iter().collect();
		after.extend(add.iter().map(|(who, _)| who.clone()));
		after.extend(before.iter().skip(members as usize).cloned());
		let keys = keys_for::<T>(&after);

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0, add, remove, key_id(9), keys);

		assert_eq!(
			SealedKeys::<T>::iter_prefix((0, Channels::<T>::get(0).map(|c| c.epoch).unwrap_or(0)))
				.count(),
			n as usize
		);
		Ok(())
	}

	/// A new epoch of `n` recipients.
	#[benchmark]
	fn rotate_key(
		n: Linear<1, { T::MaxMembers::get() + T::MaxAuditors::get() }>,
	) -> Result<(), BenchmarkError> {
		let (members, auditors) = split::<T>(n);
		let recipients = channel::<T>(members, auditors)?;
		let keys = keys_for::<T>(&recipients);

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0, key_id(9), keys);

		assert!(Epochs::<T>::get(0, Channels::<T>::get(0).map(|c| c.epoch).unwrap_or(0)).is_some());
		Ok(())
	}

	/// A grant to a channel with the most members and one auditor short of the most.
	#[benchmark]
	fn grant_auditor() -> Result<(), BenchmarkError> {
		channel::<T>(T::MaxMembers::get(), T::MaxAuditors::get().saturating_sub(1))?;
		let who = auditor::<T>(T::MaxAuditors::get());
		let now = frame_system::Pallet::<T>::block_number();

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0, who.clone(), now, now.saturating_add(10u32.into()));

		assert!(Channels::<T>::get(0).and_then(|c| c.grant_of(&who)).is_some());
		Ok(())
	}

	/// The last of the most auditors revoked.
	#[benchmark]
	fn revoke_auditor() -> Result<(), BenchmarkError> {
		let most = T::MaxAuditors::get();
		channel::<T>(T::MaxMembers::get(), most)?;
		let who = auditor::<T>(most.saturating_sub(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0, who.clone());

		assert!(Channels::<T>::get(0).and_then(|c| c.grant_of(&who)).is_none());
		Ok(())
	}

	/// `n` epochs' keys delivered to an auditor granted after they started.
	#[benchmark]
	fn deliver_keys(n: Linear<1, { T::MaxDeliveries::get() }>) -> Result<(), BenchmarkError> {
		let recipients = channel::<T>(T::MaxMembers::get(), 0)?;
		for i in 1..n {
			Pallet::<T>::rotate_key(
				RawOrigin::Signed(member::<T>(0)).into(),
				0,
				key_id(100 + i),
				keys_for::<T>(&recipients),
			)?;
		}
		let who = auditor::<T>(0);
		let now = frame_system::Pallet::<T>::block_number();
		Pallet::<T>::grant_auditor(
			RawOrigin::Signed(member::<T>(0)).into(),
			0,
			who.clone(),
			Zero::zero(),
			now.saturating_add(10u32.into()),
		)?;
		let keys: BoundedVec<_, T::MaxDeliveries> = (1..=n)
			.map(|e| (e, sealed(e)))
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(1)), 0, who.clone(), keys);

		assert!(SealedKeys::<T>::contains_key((0, n, &who)));
		Ok(())
	}

	/// Retention set on a channel of the most members and auditors.
	#[benchmark]
	fn set_retention() -> Result<(), BenchmarkError> {
		channel::<T>(T::MaxMembers::get(), T::MaxAuditors::get())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0, Some(100u32.into()));

		assert!(Channels::<T>::get(0).is_some_and(|c| c.retention.is_some()));
		Ok(())
	}

	/// A channel of the most members and auditors closed.
	#[benchmark]
	fn close_channel() -> Result<(), BenchmarkError> {
		channel::<T>(T::MaxMembers::get(), T::MaxAuditors::get())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(member::<T>(0)), 0);

		assert!(Channels::<T>::get(0).is_some_and(|c| c.closed));
		Ok(())
	}

	/// `n` sealed keys and epoch records of a closed channel removed.
	#[benchmark]
	fn reap_channel(n: Linear<1, 200>) -> Result<(), BenchmarkError> {
		let owner = member::<T>(0);
		channel::<T>(1, 0)?;
		// Each epoch adds an epoch record and one sealed key: two entries.
		for i in 1..n.div_ceil(2) {
			Pallet::<T>::rotate_key(
				RawOrigin::Signed(owner.clone()).into(),
				0,
				key_id(i),
				keys_for::<T>(core::slice::from_ref(&owner)),
			)?;
		}
		Pallet::<T>::close_channel(RawOrigin::Signed(owner.clone()).into(), 0)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), 0, n);

		assert!(
			Epochs::<T>::iter_prefix(0).count() + SealedKeys::<T>::iter_prefix((0,)).count() <= 1
		);
		Ok(())
	}

	/// A device moved into a channel from another (one entry and deposit released, one held).
	#[benchmark]
	fn set_device_channel() -> Result<(), BenchmarkError> {
		channel::<T>(T::MaxMembers::get(), T::MaxAuditors::get())?;
		let owner = member::<T>(0);
		let device = T::BenchmarkHelper::device(&owner);
		Pallet::<T>::set_device_channel(RawOrigin::Signed(owner.clone()).into(), device, Some(0))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, Some(0));

		assert_eq!(Pallet::<T>::device_channel(&device), Some(0));
		Ok(())
	}

	/// A document published by the channel's last member (every membership looked through).
	#[benchmark]
	fn publish_document() -> Result<(), BenchmarkError> {
		let members = T::MaxMembers::get();
		channel::<T>(members, T::MaxAuditors::get())?;
		let writer = member::<T>(members.saturating_sub(1));
		let epoch = Channels::<T>::get(0).map(|c| c.epoch).ok_or(BenchmarkError::Weightless)?;
		let size = T::MaxDocumentSize::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(writer), 0, [7u8; 32], epoch, size);

		assert!(Documents::<T>::contains_key(0, [7u8; 32]));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
