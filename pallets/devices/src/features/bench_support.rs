//! Devices made for the benchmarks of this pallet and of the pallets that depend on it.

use crate::*;

impl<T: Config> Pallet<T> {
	/// Store an active ed25519 device number `index`, owned by `owner` and bound to `gateway`,
	/// without a deposit or proof: for other pallets' benchmarks only.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_device(index: u32, owner: &T::AccountId, gateway: &T::AccountId) -> DeviceId {
		let mut raw = [0x5a; 32];
		raw[..4].copy_from_slice(&index.to_le_bytes());
		Self::store_benchmark_device(DevicePublicKey::Ed25519(raw), owner, gateway)
	}

	/// The P-256 signing key of benchmark device number `index`.
	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn benchmark_signer(index: u32) -> p256::ecdsa::SigningKey {
		let mut scalar = [0x24u8; 32];
		scalar[28..].copy_from_slice(&index.to_be_bytes());
		p256::ecdsa::SigningKey::from_slice(&scalar).expect("a small fixed scalar is valid; qed")
	}

	/// Store an active P-256 device number `index` (the dearest scheme to verify), owned by
	/// `owner` and bound to `gateway`, that [`Pallet::benchmark_sign`] signs for: for other
	/// pallets' benchmarks only.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_signing_device(
		index: u32,
		owner: &T::AccountId,
		gateway: &T::AccountId,
	) -> DeviceId {
		let point = Self::benchmark_signer(index).verifying_key().to_encoded_point(true);
		let mut key = [0u8; 33];
		key.copy_from_slice(point.as_bytes());
		Self::store_benchmark_device(DevicePublicKey::P256(key), owner, gateway)
	}

	/// Benchmark device number `index`'s signature over `message`.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_sign(index: u32, message: &[u8]) -> DeviceSignature {
		use p256::ecdsa::signature::Signer;
		let sig: p256::ecdsa::Signature = Self::benchmark_signer(index).sign(message);
		DeviceSignature::P256(sig.to_bytes().into())
	}

	#[cfg(feature = "runtime-benchmarks")]
	pub(crate) fn store_benchmark_device(
		key: DevicePublicKey,
		owner: &T::AccountId,
		gateway: &T::AccountId,
	) -> DeviceId {
		let device = key.device_id();
		let record = Device {
			owner: owner.clone(),
			key,
			status: DeviceStatus::Active,
			gateway: Some(gateway.clone()),
			metadata: DeviceMetadata {
				model: Default::default(),
				serial_hash: H256::zero(),
				uri: Default::default(),
			},
			firmware: None,
			attestation: None,
			registered_at: frame_system::Pallet::<T>::block_number(),
			deposit: Zero::zero(),
			rotations: 0,
			firmware_reports: 0,
		};
		Self::store_new(device, record);
		device
	}
}
