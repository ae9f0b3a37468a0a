//! Benchmarks for the devices pallet, each at its worst case: P-256 keys (verified in pure Rust,
//! the dearest scheme) wherever a signature is checked, and full attestation batches.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use sp_runtime::traits::Saturating;

/// A P-256 device whose key derives from `seed`, signing like a secure element.
struct Device {
	key: DevicePublicKey,
	signer: SigningKey,
}

impl Device {
	fn new(seed: u8) -> Self {
		let mut scalar = [0x42u8; 32];
		scalar[31] = seed;
		let signer = SigningKey::from_slice(&scalar).expect("a small fixed scalar is valid; qed");
		let point = signer.verifying_key().to_encoded_point(true);
		let mut key = [0u8; 33];
		key.copy_from_slice(point.as_bytes());
		Self { key: DevicePublicKey::P256(key), signer }
	}

	fn sign(&self, message: &[u8]) -> DeviceSignature {
		let sig: Signature = self.signer.sign(message);
		DeviceSignature::P256(sig.to_bytes().into())
	}
}

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let who: T::AccountId = account(name, index, 0);
	let amount = T::DeviceDeposit::get().saturating_mul(100u32.into()).saturating_add(
		<T::Currency as Inspect<T::AccountId>>::minimum_balance().saturating_mul(100u32.into()),
	);
	T::Currency::set_balance(&who, amount);
	who
}

fn longest<S: Get<u32>>() -> BoundedVec<u8, S> {
	vec![b'x'; S::get() as usize].try_into().expect("exactly the bound; qed")
}

fn full_metadata<T: Config>() -> DeviceMetadata<T> {
	DeviceMetadata { model: longest(), serial_hash: H256::repeat_byte(1), uri: longest() }
}

/// Register `device` for `owner` through the call itself.
fn registered<T: Config>(owner: &T::AccountId, device: &Device) -> DeviceId
where
	T::Currency: Mutate<T::AccountId>,
{
	let proof =
		device.sign(&registration_payload(&Pallet::<T>::genesis_hash(), owner, &device.key));
	Pallet::<T>::register(
		RawOrigin::Signed(owner.clone()).into(),
		device.key,
		full_metadata::<T>(),
		proof,
	)
	.expect("a fresh device with a valid proof registers; qed");
	device.key.device_id()
}

fn manufacturer<T: Config>() -> Result<T::AccountId, BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let maker = funded::<T>("maker", 0);
	let origin = T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
	Pallet::<T>::register_manufacturer(origin, maker.clone(), longest())
		.map_err(|_| BenchmarkError::Stop("register_manufacturer"))?;
	Ok(maker)
}

/// A funded gateway that serves `owner`.
fn serving<T: Config>(owner: &T::AccountId) -> T::AccountId
where
	T::Currency: Mutate<T::AccountId>,
{
	let gateway = funded::<T>("gateway", 0);
	Pallet::<T>::serve_owner(RawOrigin::Signed(gateway.clone()).into(), owner.clone())
		.expect("a funded gateway serves; qed");
	gateway
}

/// A key of `scheme` and its signature over `payload`, as a device would make it: generated in
/// the benchmark's keystore, but for P-256, which the keystore does not hold.
fn keystore_signed(scheme: KeyScheme, payload: &[u8]) -> (DevicePublicKey, DeviceSignature) {
	let kt = sp_core::crypto::KeyTypeId(*b"iotb");
	const SIGNED: &str = "the key was just generated in the keystore; qed";
	match scheme {
		KeyScheme::Ed25519 => {
			let public = sp_io::crypto::ed25519_generate(kt, None);
			let sig = sp_io::crypto::ed25519_sign(kt, &public, payload).expect(SIGNED);
			(DevicePublicKey::Ed25519(public.0), DeviceSignature::Ed25519(sig.0))
		},
		KeyScheme::Sr25519 => {
			let public = sp_io::crypto::sr25519_generate(kt, None);
			let sig = sp_io::crypto::sr25519_sign(kt, &public, payload).expect(SIGNED);
			(DevicePublicKey::Sr25519(public.0), DeviceSignature::Sr25519(sig.0))
		},
		KeyScheme::Secp256k1 => {
			// The keystore signs blake2_256(payload), as a secp256k1 device key does.
			let public = sp_io::crypto::ecdsa_generate(kt, None);
			let sig = sp_io::crypto::ecdsa_sign(kt, &public, payload).expect(SIGNED);
			(DevicePublicKey::Secp256k1(public.0), DeviceSignature::Secp256k1(sig.0))
		},
		KeyScheme::P256 => {
			let device = Device::new(9);
			(device.key, device.sign(payload))
		},
	}
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register() {
		let owner = funded::<T>("owner", 0);
		let device = Device::new(1);
		let proof =
			device.sign(&registration_payload(&Pallet::<T>::genesis_hash(), &owner, &device.key));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), device.key, full_metadata::<T>(), proof);

		assert!(Devices::<T>::contains_key(device.key.device_id()));
	}

	#[benchmark]
	fn update_metadata() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, full_metadata::<T>());
	}

	#[benchmark]
	fn bind_gateway() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		let gateway = serving::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, gateway.clone());

		assert_eq!(Devices::<T>::get(id).and_then(|d| d.gateway), Some(gateway));
	}

	#[benchmark]
	fn unbind_gateway() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		let gateway = serving::<T>(&owner);
		Pallet::<T>::bind_gateway(RawOrigin::Signed(owner.clone()).into(), id, gateway)
			.expect("owner binds; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
	}

	#[benchmark]
	fn suspend() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(Devices::<T>::get(id).map(|d| d.status), Some(DeviceStatus::Suspended));
	}

	#[benchmark]
	fn resume() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		Pallet::<T>::suspend(RawOrigin::Signed(owner.clone()).into(), id).expect("suspends; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
	}

	#[benchmark]
	fn revoke() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		Pallet::<T>::offer_transfer(
			RawOrigin::Signed(owner.clone()).into(),
			id,
			account("to", 0, 0),
		)
		.expect("offers; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert_eq!(Devices::<T>::get(id).map(|d| d.status), Some(DeviceStatus::Revoked));
	}

	#[benchmark]
	fn remove() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		Pallet::<T>::revoke(RawOrigin::Signed(owner.clone()).into(), id).expect("revokes; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert!(!Devices::<T>::contains_key(id));
	}

	#[benchmark]
	fn rotate_key() {
		let owner = funded::<T>("owner", 0);
		let old = Device::new(1);
		let new = Device::new(2);
		let id = registered::<T>(&owner, &old);
		let payload = rotation_payload(&Pallet::<T>::genesis_hash(), &id, &new.key, 0);
		let (old_sig, new_sig) = (old.sign(&payload), new.sign(&payload));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, new.key, old_sig, new_sig);

		assert_eq!(Devices::<T>::get(id).map(|d| d.key), Some(new.key));
	}

	#[benchmark]
	fn offer_transfer() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, account("to", 0, 0));
	}

	#[benchmark]
	fn cancel_transfer() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		Pallet::<T>::offer_transfer(
			RawOrigin::Signed(owner.clone()).into(),
			id,
			account("to", 0, 0),
		)
		.expect("offers; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
	}

	#[benchmark]
	fn accept_transfer() {
		let owner = funded::<T>("owner", 0);
		let to = funded::<T>("to", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		Pallet::<T>::offer_transfer(RawOrigin::Signed(owner).into(), id, to.clone())
			.expect("offers; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(to.clone()), id);

		assert_eq!(Devices::<T>::get(id).map(|d| d.owner), Some(to));
	}

	/// Two P-256 readings under one sequence number, both signed by the device's key.
	#[benchmark]
	fn report_equivocation() -> Result<(), BenchmarkError> {
		use iotrust_primitives::merkle::{Metric, SignedReading};
		let owner = funded::<T>("owner", 0);
		let device = Device::new(1);
		let id = registered::<T>(&owner, &device);
		let genesis = sp_core::H256::from_slice(Pallet::<T>::genesis_hash().as_ref());
		let reading = |value: i64| {
			let metrics = (0..crate::features::equivocation::MAX_EVIDENCE_METRICS as u16)
				.map(|i| Metric { id: i, value })
				.collect();
			let mut r = SignedReading {
				device: id,
				seq: 7,
				timestamp_ms: 0,
				metrics,
				signature: DeviceSignature::Ed25519([0; 64]),
			};
			r.signature = device.sign(&r.payload(&genesis));
			r
		};
		let (first, second) = (reading(1), reading(2));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), first, second);

		assert!(Equivocations::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn report_firmware() -> Result<(), BenchmarkError> {
		let maker = manufacturer::<T>()?;
		let owner = funded::<T>("owner", 0);
		let device = Device::new(1);
		let model: ModelOf<T> = longest();
		let version: VersionOf<T> = longest();
		Pallet::<T>::attest(
			RawOrigin::Signed(maker.clone()).into(),
			vec![(device.key, model.clone())].try_into().map_err(|_| BenchmarkError::Weightless)?,
		)
		.map_err(|_| BenchmarkError::Stop("attest"))?;
		let hash = H256::repeat_byte(7);
		Pallet::<T>::publish_firmware(
			RawOrigin::Signed(maker).into(),
			model,
			version.clone(),
			hash,
		)
		.map_err(|_| BenchmarkError::Stop("publish"))?;
		let id = registered::<T>(&owner, &device);
		let sig =
			device.sign(&firmware_payload(&Pallet::<T>::genesis_hash(), &id, &version, &hash, 0));

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, version, hash, sig);

		assert!(Devices::<T>::get(id).and_then(|d| d.firmware).is_some_and(|f| f.matches_release));
		Ok(())
	}

	#[benchmark]
	fn register_manufacturer() -> Result<(), BenchmarkError> {
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let maker: T::AccountId = account("maker", 0, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, maker.clone(), longest());

		assert!(Manufacturers::<T>::contains_key(maker));
		Ok(())
	}

	#[benchmark]
	fn remove_manufacturer() -> Result<(), BenchmarkError> {
		let maker = manufacturer::<T>()?;
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, maker);

		Ok(())
	}

	/// `n` keys, each already registered, so every one updates its device record too.
	#[benchmark]
	fn attest(n: Linear<1, { T::MaxAttestationBatch::get() }>) -> Result<(), BenchmarkError> {
		let maker = manufacturer::<T>()?;
		let owner = funded::<T>("owner", 0);
		let mut batch = Vec::new();
		for i in 0..n {
			let device = Device::new(i as u8);
			registered::<T>(&owner, &device);
			batch.push((device.key, longest::<T::MaxModelLen>()));
		}
		let batch: BoundedVec<_, _> = batch.try_into().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(maker), batch);

		Ok(())
	}

	#[benchmark]
	fn serve_owner() {
		let gateway = funded::<T>("gateway", 0);
		let owner: T::AccountId = account("owner", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway.clone()), owner.clone());

		assert!(ServedOwners::<T>::contains_key(&gateway, &owner));
	}

	#[benchmark]
	fn stop_serving() {
		let owner: T::AccountId = account("owner", 0, 0);
		let gateway = serving::<T>(&owner);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway.clone()), owner.clone());

		assert!(!ServedOwners::<T>::contains_key(&gateway, &owner));
	}

	#[benchmark]
	fn release_device() {
		let owner = funded::<T>("owner", 0);
		let id = registered::<T>(&owner, &Device::new(1));
		let gateway = serving::<T>(&owner);
		Pallet::<T>::bind_gateway(RawOrigin::Signed(owner).into(), id, gateway.clone())
			.expect("owner binds; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), id);

		assert_eq!(Devices::<T>::get(id).and_then(|d| d.gateway), None);
	}

	/// Revoking `n` attestations as their manufacturer (the council's path skips one check).
	#[benchmark]
	fn revoke_attestations(
		n: Linear<1, { T::MaxAttestationBatch::get() }>,
	) -> Result<(), BenchmarkError> {
		let maker = manufacturer::<T>()?;
		let batch: Vec<_> =
			(0..n).map(|i| (Device::new(i as u8).key, longest::<T::MaxModelLen>())).collect();
		let hashes: Vec<H256> = batch.iter().map(|(key, _)| key_hash(key)).collect();
		let batch: BoundedVec<_, _> = batch.try_into().map_err(|_| BenchmarkError::Weightless)?;
		Pallet::<T>::attest(RawOrigin::Signed(maker.clone()).into(), batch)
			.map_err(|_| BenchmarkError::Stop("attest"))?;
		let hashes: BoundedVec<_, _> = hashes.try_into().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(maker), hashes);

		Ok(())
	}

	#[benchmark]
	fn publish_firmware() -> Result<(), BenchmarkError> {
		let maker = manufacturer::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(maker), longest(), longest(), H256::repeat_byte(3));

		Ok(())
	}

	/// One P-256 verification of a registration-sized payload: the dearest scheme, which calls
	/// that check a device signature are charged up front (see [`Pallet::verify_weight`]).
	#[benchmark]
	fn verify_p256() {
		let (key, sig) = keystore_signed(KeyScheme::P256, &[7u8; 128]);
		let valid;

		#[block]
		{
			valid = key.verify(&[7u8; 128], &sig);
		}

		assert!(valid);
	}

	/// One sr25519 verification of the same payload.
	#[benchmark]
	fn verify_sr25519() {
		let (key, sig) = keystore_signed(KeyScheme::Sr25519, &[7u8; 128]);
		let valid;

		#[block]
		{
			valid = key.verify(&[7u8; 128], &sig);
		}

		assert!(valid);
	}

	/// One ed25519 verification of the same payload.
	#[benchmark]
	fn verify_ed25519() {
		let (key, sig) = keystore_signed(KeyScheme::Ed25519, &[7u8; 128]);
		let valid;

		#[block]
		{
			valid = key.verify(&[7u8; 128], &sig);
		}

		assert!(valid);
	}

	/// One secp256k1 verification (a public-key recovery) of the same payload.
	#[benchmark]
	fn verify_secp256k1() {
		let (key, sig) = keystore_signed(KeyScheme::Secp256k1, &[7u8; 128]);
		let valid;

		#[block]
		{
			valid = key.verify(&[7u8; 128], &sig);
		}

		assert!(valid);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
