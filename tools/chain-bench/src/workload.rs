//! What the measured transactions do, and what each workload sets up on chain before the load
//! starts (an offer and obligations to pay; devices bound to their gateways).

use crate::chain::{ChainIds, Node};
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use codec::Encode;
use iotrust_primitives::{
	anchoring::MetricSummary,
	device::{registration_payload, DeviceId, KeyScheme},
	keypair::DeviceKeypair,
	obligations::{ObligationId, ObligationStatus, OfferId},
};
use iotrust_runtime::{
	AccountId, Address, Balance, BlockNumber, Runtime, RuntimeCall, MILLI_UNIT, UNIT,
};
use sp_core::{sr25519, Pair, H256};

/// What each transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
	/// `balances.transfer_keep_alive` of 0.001 IOTR to the next bench account.
	Transfer,
	/// `system.remark` of 32 bytes.
	Remark,
	/// `devices.register` of a new Ed25519 device with its proof of possession.
	RegisterEd25519,
	/// `devices.register` of a new P-256 device with its proof of possession.
	RegisterP256,
	/// Half `obligations.create` (1 IOTR under a standing offer), half `obligations.pay` of an
	/// obligation the account took up before the load, in full.
	Obligation,
	/// `anchoring.anchor` of a batch of `--devices` devices (each account is a gateway with
	/// its own devices bound to it), 10 readings and one metric summary per device.
	Anchor,
}

/// Readings per device in each anchored batch.
const READINGS_PER_DEVICE: u64 = 10;

/// What a workload's transactions refer to, set up on chain before the load.
pub enum Prepared {
	/// Nothing.
	Nothing,
	/// The offer every `create` takes up, and per account the obligations its `pay`s settle,
	/// oldest first.
	Obligations { offer: OfferId, to_pay: Vec<Vec<ObligationId>> },
	/// Per account (gateway), the devices bound to it.
	Anchors { devices: Vec<Vec<DeviceId>> },
}

/// IOTR each account needs for `rounds` transactions of `workload`, fees included.
pub fn funding(workload: Workload, rounds: u32) -> u32 {
	let per_round_milli: u32 = match workload {
		// A transfer moves 0.001 and pays ~0.0005; a registration holds a 0.01 deposit and
		// pays up to ~0.003 (P-256).
		Workload::Transfer | Workload::Remark => 2,
		Workload::RegisterEd25519 | Workload::RegisterP256 => 15,
		// Every other round pays 1 IOTR and 2% credit fee; every create holds 0.01.
		Workload::Obligation => 1_100,
		// An anchor is charged up front as if every device carried four SLAs (~0.07).
		Workload::Anchor => 100,
	};
	(rounds * per_round_milli).div_ceil(1000) + 10
}

/// The device key `index` of gateway `gateway` in run `salt`.
fn device_key(salt: u64, gateway: &sr25519::Public, index: u32) -> DeviceKeypair {
	let seed =
		sp_io::hashing::blake2_256(&(b"iotrust-bench-anchor", salt, gateway, index).encode());
	DeviceKeypair::from_seed(KeyScheme::Ed25519, seed).expect("any 32 bytes are an ed25519 seed")
}

/// The registration call of `device` owned by `owner`, with its proof of possession.
fn register(
	ids: &ChainIds,
	owner: &sr25519::Public,
	device: &DeviceKeypair,
	serial: H256,
) -> RuntimeCall {
	let account: AccountId = (*owner).into();
	let proof = device.sign(&registration_payload(&ids.genesis, &account, &device.key));
	RuntimeCall::Devices(pallet_devices::Call::register {
		key: device.key,
		metadata: pallet_devices::DeviceMetadata {
			model: b"bench".to_vec().try_into().expect("5 bytes fit"),
			serial_hash: serial,
			uri: Default::default(),
		},
		proof,
	})
}

impl Prepared {
	/// Set up what `workload` needs for `rounds` transactions per account: sign as the
	/// accounts (and `provider`, who publishes the offer), submit, wait for finality, and read
	/// back through the runtime APIs what the transactions refer to. `salt` makes this run's
	/// devices new on a chain that ran the bench before.
	#[allow(clippy::too_many_arguments)]
	pub async fn set_up(
		workload: Workload,
		node: &Node,
		ids: ChainIds,
		provider: &sr25519::Pair,
		accounts: &[sr25519::Pair],
		rounds: u32,
		devices_per_batch: u32,
		salt: u64,
	) -> Result<Self> {
		match workload {
			Workload::Obligation => {
				Self::set_up_obligations(node, ids, provider, accounts, rounds).await
			},
			Workload::Anchor => {
				Self::set_up_anchors(node, ids, accounts, devices_per_batch, salt).await
			},
			_ => Ok(Self::Nothing),
		}
	}

	async fn set_up_obligations(
		node: &Node,
		ids: ChainIds,
		provider: &sr25519::Pair,
		accounts: &[sr25519::Pair],
		rounds: u32,
	) -> Result<Self> {
		// Each account pays in every other round an obligation taken up now, and takes up a new
		// one in the rounds between: it owes at most `rounds` IOTR at once.
		let to_take = rounds.div_ceil(2);
		let provider_id: AccountId = provider.public().into();
		let credit: Balance =
			node.runtime_call("ReputationApi_credit_limit", accounts[0].public().0).await?;
		if Balance::from(rounds) * UNIT > credit {
			bail!(
				"{rounds} transactions per account would owe {rounds} IOTR at once, above a new \
				 account's credit of {} IOTR: use more --accounts",
				credit / UNIT
			);
		}
		let terms = pallet_obligations::OfferTerms::<Runtime> {
			service_hash: H256::repeat_byte(0xbe),
			min_amount: UNIT,
			max_amount: UNIT,
			due_in: 7 * iotrust_runtime::DAYS,
			min_score: 0,
			device: None,
			sla: None,
			consumers: Default::default(),
		};
		let nonce = node.next_nonce(&provider.public()).await?;
		let publish = RuntimeCall::Obligations(pallet_obligations::Call::publish_offer { terms });
		node.submit_and_finalize(&ids.sign(provider, nonce, publish))
			.await
			.context("publishing the offer")?;
		let offers: Vec<(
			OfferId,
			pallet_obligations_runtime_api::OfferInfo<AccountId, Balance, BlockNumber>,
		)> = node.runtime_call("ObligationsApi_offers_of", &provider_id).await?;
		let Some((offer, _)) = offers.last() else { bail!("the offer is not on chain") };
		let offer = *offer;

		let mut xts = Vec::with_capacity(accounts.len());
		for a in accounts {
			let calls = (0..to_take).map(|_| create(offer)).collect();
			let nonce = node.next_nonce(&a.public()).await?;
			xts.push(ids.sign(
				a,
				nonce,
				RuntimeCall::Utility(pallet_utility::Call::batch_all { calls }),
			));
		}
		node.finalize_all(&xts, 256).await.context("taking up the obligations to pay")?;

		let mut to_pay = Vec::with_capacity(accounts.len());
		for a in accounts {
			let mut ids = Vec::new();
			let mut start_after: Option<ObligationId> = None;
			loop {
				let page: pallet_obligations_runtime_api::Page<AccountId, Balance, BlockNumber> =
					node.runtime_call(
						"ObligationsApi_consumer_stream",
						(
							AccountId::from(a.public()),
							Some(ObligationStatus::Pending),
							start_after,
							100u32,
						),
					)
					.await?;
				ids.extend(page.items.iter().map(|(id, _)| *id));
				match page.next {
					Some(n) if ids.len() < to_take as usize => start_after = Some(n),
					_ => break,
				}
			}
			if ids.len() < to_take as usize {
				bail!("account {} took up {} obligations, not {to_take}", a.public(), ids.len());
			}
			ids.truncate(to_take as usize);
			to_pay.push(ids);
		}
		Ok(Self::Obligations { offer, to_pay })
	}

	async fn set_up_anchors(
		node: &Node,
		ids: ChainIds,
		accounts: &[sr25519::Pair],
		devices_per_batch: u32,
		salt: u64,
	) -> Result<Self> {
		// Each account registers its devices and binds them to itself (an owner may be its own
		// devices' gateway), 25 devices to an extrinsic.
		let mut xts = Vec::new();
		let mut devices = Vec::with_capacity(accounts.len());
		for a in accounts {
			let owner = a.public();
			let keys: Vec<DeviceKeypair> =
				(0..devices_per_batch).map(|i| device_key(salt, &owner, i)).collect();
			let mut nonce = node.next_nonce(&owner).await?;
			for chunk in keys.chunks(25) {
				let calls = chunk
					.iter()
					.flat_map(|k| {
						let device = k.key.device_id();
						[
							register(&ids, &owner, k, device),
							RuntimeCall::Devices(pallet_devices::Call::bind_gateway {
								device,
								gateway: owner.into(),
							}),
						]
					})
					.collect();
				xts.push(ids.sign(
					a,
					nonce,
					RuntimeCall::Utility(pallet_utility::Call::batch_all { calls }),
				));
				nonce += 1;
			}
			devices.push(keys.iter().map(|k| k.key.device_id()).collect::<Vec<_>>());
		}
		node.finalize_all(&xts, 256).await.context("registering the gateways' devices")?;
		for (a, list) in accounts.iter().zip(&devices) {
			let info: Option<
				pallet_devices_runtime_api::DeviceInfo<AccountId, Balance, BlockNumber>,
			> = node.runtime_call("DevicesApi_device", list[list.len() - 1]).await?;
			let bound = info.and_then(|i| i.gateway);
			if bound != Some(a.public().into()) {
				bail!("the devices of {} were not registered and bound", a.public());
			}
		}
		Ok(Self::Anchors { devices })
	}

	/// The call account `index` makes in round `round` with `nonce`.
	pub fn call(
		&self,
		workload: Workload,
		ids: &ChainIds,
		accounts: &[sr25519::Pair],
		index: usize,
		round: u32,
		nonce: u32,
	) -> RuntimeCall {
		let owner = accounts[index].public();
		match (workload, self) {
			(Workload::Transfer, _) => {
				let to = accounts[(index + 1) % accounts.len()].public();
				RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: Address::Id(to.into()),
					value: MILLI_UNIT,
				})
			},
			(Workload::Remark, _) => {
				RuntimeCall::System(frame_system::Call::remark { remark: vec![0x42; 32] })
			},
			(Workload::RegisterEd25519 | Workload::RegisterP256, _) => {
				let scheme = if workload == Workload::RegisterP256 {
					KeyScheme::P256
				} else {
					KeyScheme::Ed25519
				};
				// A key of its own for every registration, also across runs (the nonce differs).
				let seed =
					sp_io::hashing::blake2_256(&(b"iotrust-bench-device", owner, nonce).encode());
				let device =
					DeviceKeypair::from_seed(scheme, seed).expect("a 32-byte seed is a key");
				register(ids, &owner, &device, H256::from(seed))
			},
			(Workload::Obligation, Self::Obligations { offer, to_pay }) => match round % 2 {
				0 => create(*offer),
				_ => RuntimeCall::Obligations(pallet_obligations::Call::pay {
					id: to_pay[index][(round / 2) as usize],
					amount: UNIT,
				}),
			},
			(Workload::Anchor, Self::Anchors { devices }) => {
				let first = u64::from(round) * READINGS_PER_DEVICE;
				let ranges: Vec<pallet_anchoring::DeviceRangeOf<Runtime>> = devices[index]
					.iter()
					.map(|device| pallet_anchoring::DeviceRange {
						device: *device,
						first,
						last: first + READINGS_PER_DEVICE - 1,
						summaries: vec![MetricSummary { id: 1, min: -18_500, max: -17_200 }]
							.try_into()
							.expect("one summary fits"),
					})
					.collect();
				let count = ranges.len() as u64 * READINGS_PER_DEVICE;
				RuntimeCall::Anchoring(pallet_anchoring::Call::anchor {
					batch: u64::from(nonce),
					root: H256(sp_io::hashing::blake2_256(&(owner, nonce).encode())),
					reading_count: count as u32,
					from_ms: u64::from(round) * 10_000,
					to_ms: u64::from(round) * 10_000 + 9_999,
					ranges: ranges
						.try_into()
						.expect("--devices is checked against the chain's limit"),
				})
			},
			(Workload::Obligation | Workload::Anchor, _) => {
				unreachable!("set_up prepares every workload that needs it")
			},
		}
	}
}

/// `obligations.create` of 1 IOTR under `offer`.
fn create(offer: OfferId) -> RuntimeCall {
	RuntimeCall::Obligations(pallet_obligations::Call::create {
		request: pallet_obligations::Request::<Runtime> {
			offer,
			amount: UNIT,
			note: Default::default(),
		},
		consumer_device: None,
	})
}
