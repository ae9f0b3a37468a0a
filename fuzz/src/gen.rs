//! What the fuzzer knows of the chain it drives (its actors' keys, the devices it registered and
//! their keys, the groups it made and their keys) and the calls it makes from that: each
//! pallet's calls with plausible arguments (real device signatures over the documented payloads,
//! a group's signature over its anchor), then spoiled at random — a flipped byte, a stranger's
//! origin, an edge number — and, besides, calls decoded from random bytes for every pallet.

use crate::{chain::Who, rng::Rng};
use codec::{Decode, DecodeLimit, Encode};
use frame_support::{dispatch::GetDispatchInfo, traits::Get as _, BoundedVec};
use iotrust_primitives::{
	anchoring::{AnchorHeader, GroupAnchor, MetricSummary, ThresholdRule},
	device::{
		firmware_payload, obligation_payload, registration_payload, rotation_payload, DeviceId,
		DeviceSignature, KeyScheme,
	},
	keypair::DeviceKeypair,
	merkle::{MerkleProof, Metric, SignedReading},
};
use iotrust_runtime::{AccountId, Runtime, RuntimeCall, UNIT};
use sp_core::{ed25519, sr25519, Pair};
use sp_keyring::Sr25519Keyring;

/// One who signs: a council member, an endowed account or a stranger with nothing.
pub struct Actor {
	pub pair: sr25519::Pair,
	pub account: AccountId,
}

/// A device the fuzzer registered (or tried to), with its current key.
pub struct Device {
	pub id: DeviceId,
	pub pair: DeviceKeypair,
	/// Keys it rotated away from, to sign with by mistake.
	pub old: Option<DeviceKeypair>,
}

/// A group the council made, the key the fuzzer confirms for it, its members' actors.
pub struct Group {
	pub id: u32,
	pub key: ed25519::Pair,
	pub members: Vec<usize>,
}

pub struct World {
	pub actors: Vec<Actor>,
	pub devices: Vec<Device>,
	pub groups: Vec<Group>,
	/// The council members among the actors.
	pub council: usize,
	/// Calls proposed to groups (`groups.approve`) with their hashes, the latest few, for other
	/// members to approve.
	pub proposed: Vec<(u32, sp_core::H256, RuntimeCall)>,
}

/// Pallet indices of the runtime, for calls decoded from bytes.
const PALLETS: [u8; 17] = [0, 1, 2, 5, 6, 10, 11, 12, 13, 20, 21, 30, 31, 32, 33, 34, 35];

impl World {
	pub fn new() -> Self {
		use Sr25519Keyring::*;
		let mut actors: Vec<Actor> = [Alice, Bob, Charlie, Dave, Eve, Ferdie]
			.into_iter()
			.map(|k| Actor { pair: k.pair(), account: k.to_account_id() })
			.collect();
		for i in 0..3 {
			let pair = sr25519::Pair::from_string(&format!("//Stranger{i}"), None)
				.expect("a valid derivation");
			actors.push(Actor { account: pair.public().into(), pair });
		}
		Self { actors, devices: Vec::new(), groups: Vec::new(), council: 4, proposed: Vec::new() }
	}

	fn account(&self, rng: &mut Rng) -> AccountId {
		if rng.chance(5) {
			return AccountId::from(rng.array32());
		}
		self.actors[rng.index(self.actors.len())].account.clone()
	}

	fn actor(&self, rng: &mut Rng) -> usize {
		rng.index(self.actors.len())
	}

	/// A device id: mostly one the fuzzer registered, sometimes one nobody did.
	fn device(&self, rng: &mut Rng) -> Option<usize> {
		if self.devices.is_empty() || rng.chance(5) {
			None
		} else {
			Some(rng.index(self.devices.len()))
		}
	}

	fn device_id(&self, rng: &mut Rng) -> DeviceId {
		match self.device(rng) {
			Some(i) => self.devices[i].id,
			None => rng.h256(),
		}
	}

	/// The device's owner on chain, or anyone.
	fn owner_of(&self, rng: &mut Rng, device: &DeviceId) -> Who {
		match pallet_devices::Devices::<Runtime>::get(device) {
			Some(d) if !rng.chance(10) => self.signer_of(&d.owner).unwrap_or(Who::Signed(0)),
			_ => Who::Signed(self.actor(rng)),
		}
	}

	/// The device's gateway on chain (if an actor holds it), or anyone.
	fn gateway_of(&self, rng: &mut Rng, device: &DeviceId) -> Who {
		match pallet_devices::Devices::<Runtime>::get(device).and_then(|d| d.gateway) {
			Some(g) if !rng.chance(10) => {
				self.signer_of(&g).unwrap_or_else(|| Who::Signed(self.actor(rng)))
			},
			_ => Who::Signed(self.actor(rng)),
		}
	}

	/// The accounts of the groups the fuzzer made.
	fn group_accounts(&self) -> Vec<AccountId> {
		self.groups.iter().map(|g| pallet_groups::Pallet::<Runtime>::account_of(g.id)).collect()
	}

	/// Mostly one of the actors `among`, now and then anyone.
	fn one_of(&self, rng: &mut Rng, among: &[usize]) -> Who {
		match among.len() {
			n if n > 0 && rng.chance(90) => Who::Signed(among[rng.index(n)]),
			_ => Who::Signed(self.actor(rng)),
		}
	}

	fn actor_of(&self, account: &AccountId) -> Option<usize> {
		self.actors.iter().position(|a| &a.account == account)
	}

	fn signer_of(&self, account: &AccountId) -> Option<Who> {
		self.actor_of(account).map(Who::Signed)
	}

	/// Privileged origins now and then; a stranger's otherwise.
	fn authority(&self, rng: &mut Rng) -> Who {
		match rng.below(10) {
			0..=3 => Who::Council,
			4..=6 => Who::Root,
			7 => Who::Unsigned,
			_ => Who::Signed(self.actor(rng)),
		}
	}

	/// Sign with the device's key, or now and then with the wrong one, or spoil it.
	fn device_sign(&self, rng: &mut Rng, index: Option<usize>, payload: &[u8]) -> DeviceSignature {
		let Some(i) = index else {
			return DeviceKeypair::from_seed(KeyScheme::Ed25519, rng.array32())
				.expect("any ed25519 seed")
				.sign(payload);
		};
		let device = &self.devices[i];
		let signature = match (&device.old, rng.below(20)) {
			(Some(old), 0) => old.sign(payload),
			_ => device.pair.sign(payload),
		};
		if rng.chance(5) {
			spoil(rng, signature)
		} else {
			signature
		}
	}

	/// A new device key pair of any scheme.
	fn new_keypair(rng: &mut Rng) -> DeviceKeypair {
		let scheme = match rng.below(4) {
			0 => KeyScheme::Ed25519,
			1 => KeyScheme::Sr25519,
			2 => KeyScheme::Secp256k1,
			_ => KeyScheme::P256,
		};
		loop {
			if let Ok(pair) = DeviceKeypair::from_seed(scheme, rng.array32()) {
				return pair;
			}
		}
	}

	/// The next call and who makes it.
	pub fn next(&mut self, rng: &mut Rng) -> (Who, RuntimeCall, Option<Pending>) {
		let (who, call) = match rng.below(100) {
			0..=27 => return self.devices_call(rng),
			28..=45 => self.anchoring_call(rng),
			46..=61 => self.obligations_call(rng),
			62..=67 => self.channels_call(rng),
			68..=75 => return self.groups_call(rng),
			76..=80 => self.governance_call(rng),
			81..=85 => self.balances_call(rng),
			86..=89 => self.batch_call(rng),
			90..=93 => self.council_call(rng),
			_ => self.decoded_call(rng),
		};
		(who, call, None)
	}

	fn devices_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall, Option<Pending>) {
		use pallet_devices::Call as C;
		let genesis = pallet_devices::Pallet::<Runtime>::genesis_hash();
		let index = self.device(rng);
		let device = index.map_or_else(|| rng.h256(), |i| self.devices[i].id);
		let call = |c| RuntimeCall::Devices(c);
		match rng.below(22) {
			0..=3 => {
				let owner = self.actor(rng);
				let pair = Self::new_keypair(rng);
				let signed_by = if rng.chance(5) { self.actor(rng) } else { owner };
				let payload =
					registration_payload(&genesis, &self.actors[signed_by].account, &pair.key);
				let mut proof = pair.sign(&payload);
				if rng.chance(5) {
					proof = spoil(rng, proof);
				}
				let c = call(C::register { key: pair.key, metadata: metadata(rng), proof });
				(Who::Signed(owner), c, Some(Pending::Device(pair)))
			},
			4 => (
				self.owner_of(rng, &device),
				call(C::update_metadata { device, metadata: metadata(rng) }),
				None,
			),
			5..=7 => {
				let owner = pallet_devices::Devices::<Runtime>::get(device).map(|d| d.owner);
				let serving: Vec<AccountId> = owner.as_ref().map_or_else(Vec::new, |o| {
					self.actors
						.iter()
						.map(|a| a.account.clone())
						.filter(|g| pallet_devices::ServedOwners::<Runtime>::contains_key(g, o))
						.chain(self.group_accounts())
						.collect()
				});
				let gateway = match serving.len() {
					n if n > 0 && rng.chance(80) => serving[rng.index(n)].clone(),
					_ => self.account(rng),
				};
				(self.owner_of(rng, &device), call(C::bind_gateway { device, gateway }), None)
			},
			8 => (self.owner_of(rng, &device), call(C::unbind_gateway { device }), None),
			9 => (self.owner_of(rng, &device), call(C::suspend { device }), None),
			10 => (self.owner_of(rng, &device), call(C::resume { device }), None),
			11 => {
				let who =
					if rng.chance(20) { self.authority(rng) } else { self.owner_of(rng, &device) };
				(who, call(C::revoke { device }), None)
			},
			12 => (self.owner_of(rng, &device), call(C::remove { device }), None),
			13 => {
				let new = Self::new_keypair(rng);
				let nonce = pallet_devices::Devices::<Runtime>::get(device)
					.map_or(0, |d| d.rotations)
					.wrapping_add(if rng.chance(5) { 1 } else { 0 });
				let payload = rotation_payload(&genesis, &device, &new.key, nonce);
				let old_signature = self.device_sign(rng, index, &payload);
				let mut new_signature = new.sign(&payload);
				if rng.chance(5) {
					new_signature = spoil(rng, new_signature);
				}
				let c =
					call(C::rotate_key { device, new_key: new.key, old_signature, new_signature });
				(self.owner_of(rng, &device), c, index.map(|i| Pending::Rotation(i, new)))
			},
			14 => {
				let to = self.account(rng);
				(self.owner_of(rng, &device), call(C::offer_transfer { device, to }), None)
			},
			15 => (self.owner_of(rng, &device), call(C::cancel_transfer { device }), None),
			16 => {
				let who = match pallet_devices::PendingTransfers::<Runtime>::get(device) {
					Some(to) if !rng.chance(10) => self.signer_of(&to).unwrap_or(Who::Signed(0)),
					_ => Who::Signed(self.actor(rng)),
				};
				(who, call(C::accept_transfer { device }), None)
			},
			17 => {
				let version: Vec<u8> = rng.some_bytes(12);
				let hash = rng.h256();
				let nonce = pallet_devices::Devices::<Runtime>::get(device)
					.map_or(0, |d| d.firmware_reports);
				let payload = firmware_payload(&genesis, &device, &version, &hash, nonce);
				let signature = self.device_sign(rng, index, &payload);
				let version = bounded(version);
				let who = Who::Signed(self.actor(rng));
				(who, call(C::report_firmware { device, version, hash, signature }), None)
			},
			18 => {
				// Mostly the owner of a device the fuzzer knows.
				let owner = match pallet_devices::Devices::<Runtime>::get(device) {
					Some(d) if rng.chance(70) => d.owner,
					_ => self.account(rng),
				};
				(Who::Signed(self.actor(rng)), call(C::serve_owner { owner }), None)
			},
			19 => {
				let owner = self.account(rng);
				(Who::Signed(self.actor(rng)), call(C::stop_serving { owner }), None)
			},
			20 => (self.gateway_of(rng, &device), call(C::release_device { device }), None),
			_ => {
				let manufacturer = self.account(rng);
				let c = if rng.chance(50) {
					C::register_manufacturer { manufacturer, name: bounded(rng.bytes(8)) }
				} else {
					C::remove_manufacturer { manufacturer }
				};
				(self.authority(rng), call(c), None)
			},
		}
	}

	fn anchoring_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_anchoring::Call as C;
		let call = |c| RuntimeCall::Anchoring(c);
		match rng.below(10) {
			0..=4 => {
				let (who, ranges) = self.ranges(rng);
				let batch = if rng.chance(80) { rng.below(1_000) } else { rng.edgy_u64() };
				let (reading_count, from_ms, to_ms) = self.batch_facts(rng, &ranges);
				let c =
					C::anchor { batch, root: rng.h256(), reading_count, from_ms, to_ms, ranges };
				(who, call(c))
			},
			5..=6 => {
				// Mostly a group whose key is active.
				let active: Vec<usize> = (0..self.groups.len())
					.filter(|i| {
						pallet_groups::Groups::<Runtime>::get(self.groups[*i].id)
							.is_some_and(|r| matches!(r.key, pallet_groups::KeyStatus::Active(_)))
					})
					.collect();
				let pick = match active.len() {
					n if n > 0 && rng.chance(80) => Some(active[rng.index(n)]),
					_ => (!self.groups.is_empty()).then(|| rng.index(self.groups.len())),
				};
				let Some(group) = pick else {
					let (who, _) = self.ranges(rng);
					return (who, call(C::reset_sequence { device: rng.h256(), last: None }));
				};
				let g = &self.groups[group];
				// Mostly the devices bound to the group's account.
				let account = pallet_groups::Pallet::<Runtime>::account_of(g.id);
				let bound: Vec<DeviceId> = self
					.devices
					.iter()
					.filter(|d| {
						pallet_devices::Devices::<Runtime>::get(d.id)
							.is_some_and(|r| r.gateway.as_ref() == Some(&account))
					})
					.map(|d| d.id)
					.collect();
				let first = match bound.len() {
					n if n > 0 && rng.chance(90) => bound[rng.index(n)],
					_ => self.device_id(rng),
				};
				let (_, ranges) = self.ranges_from(rng, first);
				let epoch = pallet_groups::Groups::<Runtime>::get(g.id)
					.map_or(0, |r| r.epoch)
					.wrapping_add(if rng.chance(5) { 1 } else { 0 });
				let (batch, root) = (rng.below(1_000), rng.h256());
				let (reading_count, from_ms, to_ms) = self.batch_facts(rng, &ranges);
				let message = GroupAnchor {
					genesis: pallet_devices::Pallet::<Runtime>::genesis_hash(),
					group: g.id,
					epoch,
					header: AnchorHeader { batch, root, reading_count, from_ms, to_ms },
					ranges: &ranges,
				}
				.message();
				let mut signature = g.key.sign(&message).0;
				if rng.chance(5) {
					signature[rng.index(64)] ^= 1;
				}
				let submitter = if rng.chance(80) && !g.members.is_empty() {
					Who::Signed(g.members[rng.index(g.members.len())])
				} else {
					Who::Signed(self.actor(rng))
				};
				let c = C::anchor_as_group {
					group: g.id,
					epoch,
					batch,
					root,
					reading_count,
					from_ms,
					to_ms,
					ranges,
					signature,
				};
				(submitter, call(c))
			},
			7..=8 => {
				let device = self.device_id(rng);
				let rules: Vec<_> = (0..rng.below(4)).map(|_| rule(rng)).collect();
				(self.owner_of(rng, &device), call(C::set_rules { device, rules: bounded(rules) }))
			},
			_ => {
				let device = self.device_id(rng);
				let last = rng.chance(70).then(|| rng.edgy_u64());
				(self.owner_of(rng, &device), call(C::reset_sequence { device, last }))
			},
		}
	}

	/// A batch's reading count and time range: mostly what its ranges and the clock say.
	fn batch_facts(
		&self,
		rng: &mut Rng,
		ranges: &[pallet_anchoring::DeviceRangeOf<Runtime>],
	) -> (u32, u64, u64) {
		if rng.chance(15) {
			return (rng.edgy_u32(), rng.edgy_u64(), rng.edgy_u64());
		}
		let count = ranges
			.iter()
			.map(|r| r.last.saturating_sub(r.first).saturating_add(1))
			.fold(0u64, u64::saturating_add);
		let now = pallet_timestamp::Now::<Runtime>::get();
		let from = now.saturating_sub(rng.below(60_000));
		(u32::try_from(count).unwrap_or(u32::MAX), from, now)
	}

	/// Device ranges for an anchor, mostly of the devices one gateway serves, in sequence.
	fn ranges(&self, rng: &mut Rng) -> (Who, pallet_anchoring::RangesOf<Runtime>) {
		let first = self.device_id(rng);
		self.ranges_from(rng, first)
	}

	/// Device ranges starting with `first`'s, mostly of the other devices of its gateway, and
	/// who submits them: mostly that gateway.
	fn ranges_from(
		&self,
		rng: &mut Rng,
		first: DeviceId,
	) -> (Who, pallet_anchoring::RangesOf<Runtime>) {
		let who = self.gateway_of(rng, &first);
		let mut ranges = Vec::new();
		let most: u32 = <Runtime as pallet_anchoring::Config>::MaxDevicesPerBatch::get();
		let count = if rng.chance(3) { u64::from(most) } else { 1 + rng.below(5) };
		let gateway = pallet_devices::Devices::<Runtime>::get(first).and_then(|d| d.gateway);
		let same: Vec<DeviceId> = self
			.devices
			.iter()
			.filter(|d| {
				gateway.is_some()
					&& pallet_devices::Devices::<Runtime>::get(d.id).and_then(|r| r.gateway)
						== gateway
			})
			.map(|d| d.id)
			.collect();
		for k in 0..count {
			let device = match (k, same.is_empty() || rng.chance(10)) {
				(0, _) => first,
				(_, true) => self.device_id(rng),
				(_, false) => same[rng.index(same.len())],
			};
			if ranges.iter().any(|r: &pallet_anchoring::DeviceRangeOf<Runtime>| r.device == device)
				&& rng.chance(90)
			{
				continue;
			}
			let next = pallet_anchoring::LastSeq::<Runtime>::get(device)
				.map_or(0, |s| s.saturating_add(1));
			let start = if rng.chance(80) { next } else { rng.edgy_u64() };
			let last =
				if rng.chance(90) { start.saturating_add(rng.below(20)) } else { rng.edgy_u64() };
			let summaries: Vec<_> = (0..rng.below(3))
				.map(|_| {
					let (a, b) =
						(rng.below(60_000) as i64 - 30_000, rng.below(60_000) as i64 - 30_000);
					let id = if rng.chance(90) {
						1 + rng.below(2) as u16
					} else {
						rng.next_u64() as u16
					};
					if rng.chance(90) {
						MetricSummary { id, min: a.min(b), max: a.max(b) }
					} else {
						MetricSummary { id, min: a, max: b }
					}
				})
				.collect();
			ranges.push(pallet_anchoring::DeviceRange {
				device,
				first: start,
				last,
				summaries: bounded(summaries),
			});
		}
		(who, bounded(ranges))
	}

	fn obligations_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_obligations::Call as C;
		let call = |c| RuntimeCall::Obligations(c);
		let offers = pallet_obligations::NextOfferId::<Runtime>::get();
		let obligations = pallet_obligations::NextObligationId::<Runtime>::get();
		// Mostly the latest few.
		let recent = |rng: &mut Rng, next: u64| next.saturating_sub(1 + rng.below(4));
		let offer = if rng.chance(90) { recent(rng, offers) } else { rng.edgy_u64() };
		let id = if rng.chance(90) { recent(rng, obligations) } else { rng.edgy_u64() };
		let obligation = pallet_obligations::Obligations::<Runtime>::get(id);
		let party = |rng: &mut Rng, of: Option<&AccountId>| match of {
			Some(a) if !rng.chance(10) => self.signer_of(a).unwrap_or(Who::Signed(0)),
			_ => Who::Signed(self.actor(rng)),
		};
		let request = |rng: &mut Rng| pallet_obligations::Request::<Runtime> {
			offer,
			amount: if rng.chance(80) {
				UNIT * (1 + rng.below(20) as u128)
			} else {
				rng.edgy_u128(UNIT)
			},
			note: bounded(rng.some_bytes(8)),
		};
		match rng.below(14) {
			0..=1 => {
				let (min, max) = if rng.chance(80) {
					(UNIT * (1 + rng.below(5) as u128), UNIT * (5 + rng.below(50) as u128))
				} else {
					(rng.edgy_u128(UNIT), rng.edgy_u128(UNIT))
				};
				let device = rng.chance(50).then(|| self.device_id(rng));
				let terms = pallet_obligations::OfferTerms::<Runtime> {
					service_hash: rng.h256(),
					min_amount: min.min(max),
					max_amount: if rng.chance(90) { min.max(max) } else { min.min(max) },
					due_in: if rng.chance(80) { 1 + rng.below(50) as u32 } else { rng.edgy_u32() },
					min_score: rng.below(1_000) as u32,
					device,
					sla: rng.chance(50).then(|| pallet_obligations::Sla {
						bounds: rule(rng),
						max_silence: if rng.chance(80) {
							rng.below(30) as u32
						} else {
							rng.edgy_u32()
						},
					}),
					consumers: if rng.chance(80) {
						Default::default()
					} else {
						let named = (0..rng.below(3)).map(|_| self.account(rng)).collect();
						bounded(named)
					},
				};
				let provider = match device.and_then(pallet_devices::Devices::<Runtime>::get) {
					Some(d) if rng.chance(80) => self.signer_of(&d.owner).unwrap_or(Who::Signed(0)),
					_ => Who::Signed(self.actor(rng)),
				};
				(provider, call(C::publish_offer { terms }))
			},
			2..=3 => {
				let consumer_device = rng.chance(20).then(|| self.device_id(rng));
				(
					Who::Signed(self.actor(rng)),
					call(C::create { request: request(rng), consumer_device }),
				)
			},
			4 => {
				let index = self.device(rng);
				let device = index.map_or_else(|| rng.h256(), |i| self.devices[i].id);
				let request = request(rng);
				let nonce = pallet_obligations::DeviceNonce::<Runtime>::get(device);
				let now = frame_system::Pallet::<Runtime>::block_number();
				let valid_until = match rng.below(10) {
					0 => now.saturating_sub(1),
					1 => rng.edgy_u32(),
					_ => now + rng.below(20) as u32,
				};
				let payload = obligation_payload(
					&pallet_devices::Pallet::<Runtime>::genesis_hash(),
					&device,
					nonce,
					valid_until,
					&request,
				);
				let signature = self.device_sign(rng, index, &payload);
				(
					self.gateway_of(rng, &device),
					call(C::create_for_device { device, request, valid_until, signature }),
				)
			},
			5..=6 => {
				let remaining = obligation.as_ref().map_or(UNIT, |o| o.remaining());
				let amount = if rng.chance(70) {
					remaining.min(1 + rng.below(3) as u128 * UNIT)
				} else {
					rng.edgy_u128(UNIT)
				};
				(party(rng, obligation.as_ref().map(|o| &o.consumer)), call(C::pay { id, amount }))
			},
			7 => (party(rng, obligation.as_ref().map(|o| &o.provider)), call(C::cancel { id })),
			8 => (Who::Signed(self.actor(rng)), call(C::mark_defaulted { id })),
			9 => (Who::Signed(self.actor(rng)), call(C::archive { id })),
			10 => {
				let provider =
					pallet_obligations::Offers::<Runtime>::get(offer).map(|o| o.provider);
				(party(rng, provider.as_ref()), call(C::withdraw_offer { offer }))
			},
			12 => (Who::Signed(self.actor(rng)), call(C::claim_silence { id })),
			13 => {
				// A reading of the serving device (or any), signed by it (mostly), with a proof
				// that mostly fails: the claim's checks, each error path, run on fuzzed state.
				let index = self.device(rng);
				let device = obligation
					.as_ref()
					.and_then(|o| o.provider_device)
					.filter(|_| rng.chance(80))
					.unwrap_or_else(|| index.map_or_else(|| rng.h256(), |i| self.devices[i].id));
				let metrics = (0..rng.below(3))
					.map(|_| Metric {
						id: 1 + rng.below(3) as u16,
						value: rng.edgy_u64() as i64 - (1 << 20),
					})
					.collect();
				let mut reading = SignedReading {
					device,
					seq: rng.edgy_u64(),
					timestamp_ms: rng.edgy_u64(),
					metrics,
					signature: DeviceSignature::Ed25519([0; 64]),
				};
				let genesis = pallet_devices::Pallet::<Runtime>::genesis_hash();
				let index = self.devices.iter().position(|d| d.id == device);
				reading.signature = self.device_sign(rng, index, &reading.payload(&genesis));
				let proof = MerkleProof {
					index: rng.below(4) as u32,
					leaf_count: rng.edgy_u32(),
					siblings: (0..rng.below(4)).map(|_| rng.h256()).collect(),
				};
				let next = pallet_anchoring::NextAnchorId::<Runtime>::get();
				let anchor = if rng.chance(90) { recent(rng, next) } else { rng.edgy_u64() };
				(Who::Signed(self.actor(rng)), call(C::claim_breach { id, anchor, reading, proof }))
			},
			_ => {
				let blocks = if rng.chance(80) { rng.below(20) as u32 } else { rng.edgy_u32() };
				let c = if rng.chance(50) {
					C::set_grace_period { blocks }
				} else {
					C::set_retention { blocks }
				};
				(self.authority(rng), call(c))
			},
		}
	}

	/// Private channels: keys registered, channels created and changed, epochs started with keys
	/// sealed (as the chain sees them: opaque bytes) mostly to exactly the accounts entitled,
	/// auditors granted and delivered keys, channels closed and reaped.
	fn channels_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_channels::{Call as C, Role, SealedKey};
		let call = |c| RuntimeCall::Channels(c);
		let next = pallet_channels::NextChannelId::<Runtime>::get();
		// Mostly the newest channels, which are the likeliest still open.
		let channel = match rng.below(10) {
			0..=6 if next > 0 => next - 1 - rng.below(u64::from(next.min(3))) as u32,
			0..=8 => rng.below(u64::from(next) + 1) as u32,
			_ => rng.edgy_u32(),
		};
		let info = pallet_channels::Pallet::<Runtime>::channel_info(channel);
		let sealed = |rng: &mut Rng| {
			let mut bytes = [0u8; 80];
			for chunk in bytes.chunks_mut(32) {
				let random = rng.array32();
				chunk.copy_from_slice(&random[..chunk.len()]);
			}
			SealedKey::decode(&mut &bytes[..]).expect("80 bytes are a sealed key; qed")
		};
		let role = |rng: &mut Rng| if rng.chance(50) { Role::Writer } else { Role::Reader };
		// Who the chain holds entitled to a new key, maybe spoiled: one left out, a stranger in.
		let mut entitled: Vec<AccountId> = info.as_ref().map_or_else(Vec::new, |i| {
			let members = i.members.iter().filter(|m| m.active).map(|m| m.account.clone());
			members
				.chain(i.auditors.iter().filter(|a| a.active).map(|a| a.account.clone()))
				.collect()
		});
		let spoil_set =
			|rng: &mut Rng, set: &mut Vec<AccountId>, stranger: AccountId| match rng.below(10) {
				0 if !set.is_empty() => {
					set.remove(rng.index(set.len()));
				},
				1 => set.push(stranger),
				_ => {},
			};
		// Mostly a writer of the channel, now and then anyone.
		let writer = info
			.as_ref()
			.and_then(|i| {
				let writers: Vec<usize> = i
					.members
					.iter()
					.filter(|m| m.role == Role::Writer)
					.filter_map(|m| self.actor_of(&m.account))
					.collect();
				(!writers.is_empty() && rng.chance(85)).then(|| writers[rng.index(writers.len())])
			})
			.map_or_else(|| Who::Signed(self.actor(rng)), Who::Signed);
		let manager = match info.as_ref().and_then(|i| self.signer_of(&i.owner)) {
			Some(owner) if rng.chance(70) => owner,
			_ if rng.chance(50) => Who::Council,
			_ => self.authority(rng),
		};
		let keys_for = |rng: &mut Rng, to: &[AccountId]| {
			bounded(to.iter().map(|a| (a.clone(), sealed(rng))).collect::<Vec<_>>())
		};
		let now = frame_system::Pallet::<Runtime>::block_number();
		// Without an open channel to work on, mostly build one: council members' keys, then it.
		let open = info.as_ref().is_some_and(|i| !i.closed);
		let pick = match rng.below(13) {
			_ if !open && rng.chance(70) => 2,
			n => n,
		};
		if pick == 2 {
			let lacking = (0..self.council.min(self.actors.len())).find(|i| {
				!pallet_channels::EncryptionKeys::<Runtime>::contains_key(&self.actors[*i].account)
			});
			if let Some(i) = lacking.filter(|_| rng.chance(90)) {
				return (Who::Signed(i), call(C::set_encryption_key { key: rng.array32() }));
			}
		}
		match pick {
			0..=1 => {
				let key = if rng.chance(5) { [0u8; 32] } else { rng.array32() };
				(Who::Signed(self.actor(rng)), call(C::set_encryption_key { key }))
			},
			2 => {
				// Mostly council members (the consortium), whose keys the fuzzer registers.
				let members: Vec<(AccountId, Role)> = (0..rng.below(4))
					.map(|_| {
						let who = if rng.chance(80) {
							self.actors[rng.index(self.council.max(1))].account.clone()
						} else {
							self.account(rng)
						};
						(who, role(rng))
					})
					.collect();
				let retention = rng.chance(50).then(|| rng.below(1_000) as u32);
				let who = Who::Signed(rng.index(self.council.max(1)));
				(who, call(C::create_channel { members: bounded(members), retention }))
			},
			5 => {
				let remove: Vec<AccountId> = info
					.as_ref()
					.map(|i| {
						i.members
							.iter()
							.skip(1)
							.filter(|_| rng.chance(30))
							.map(|m| m.account.clone())
							.collect()
					})
					.unwrap_or_default();
				let add: Vec<(AccountId, Role)> = (0..rng.below(3))
					.map(|_| {
						(self.actors[rng.index(self.council.max(1))].account.clone(), role(rng))
					})
					.collect();
				entitled.retain(|a| !remove.contains(a));
				entitled.extend(add.iter().map(|(a, _)| a.clone()));
				let stranger = self.account(rng);
				spoil_set(rng, &mut entitled, stranger);
				let c = C::change_members {
					channel,
					add: bounded(add),
					remove: bounded(remove),
					key_id: rng.array32(),
					keys: keys_for(rng, &entitled),
				};
				(manager, call(c))
			},
			6 => {
				let from = now.saturating_sub(rng.below(20) as u32);
				let until = from.saturating_add(rng.below(40) as u32);
				let auditor = self.actors
					[self.council + rng.index(self.actors.len() - self.council)]
				.account
				.clone();
				let c = C::grant_auditor { channel, auditor, from, until };
				(manager, call(c))
			},
			7 => {
				let auditor = info
					.as_ref()
					.and_then(|i| i.auditors.first().map(|a| a.account.clone()))
					.filter(|_| rng.chance(80))
					.unwrap_or_else(|| self.account(rng));
				(manager, call(C::revoke_auditor { channel, auditor }))
			},
			8 => {
				let epoch = info.as_ref().map_or(1, |i| i.epoch.max(1));
				let to = info
					.as_ref()
					.and_then(|i| i.deliveries_due.first().cloned())
					.filter(|_| rng.chance(70))
					.unwrap_or_else(|| self.account(rng));
				let keys: Vec<(u32, SealedKey)> = (0..1 + rng.below(3))
					.map(|i| {
						let e = if i == 0 && rng.chance(70) {
							epoch
						} else {
							1 + rng.below(u64::from(epoch)) as u32
						};
						(e, sealed(rng))
					})
					.collect();
				(writer, call(C::deliver_keys { channel, to, keys: bounded(keys) }))
			},
			9 => {
				let retention = rng.chance(70).then(|| rng.below(10_000) as u32);
				(manager, call(C::set_retention { channel, retention }))
			},
			10 if rng.chance(40) => (manager, call(C::close_channel { channel })),
			10 if rng.chance(50) => {
				// A device of the fuzzer's, mostly by its owner, into this channel or out.
				let device = self.device_id(rng);
				let who = self.owner_of(rng, &device);
				let into = rng.chance(75).then_some(channel);
				(who, call(C::set_device_channel { device, channel: into }))
			},
			11 if rng.chance(40) => {
				// A document, mostly by a writer under the current epoch, sometimes twice.
				let epoch = info.as_ref().map_or(1, |i| i.epoch);
				let epoch = if rng.chance(85) { epoch } else { rng.below(4) as u32 };
				let hash = if rng.chance(80) { [rng.below(8) as u8; 32] } else { rng.array32() };
				let size = if rng.chance(90) { 1 + rng.below(1 << 20) as u32 } else { 0 };
				(writer, call(C::publish_document { channel, hash, epoch, size }))
			},
			10..=11 => {
				let limit = rng.below(60) as u32;
				(Who::Signed(self.actor(rng)), call(C::reap_channel { channel, limit }))
			},
			// 3, 4 and 12: a new epoch.
			_ => {
				let stranger = self.account(rng);
				spoil_set(rng, &mut entitled, stranger);
				let c = C::rotate_key {
					channel,
					key_id: rng.array32(),
					keys: keys_for(rng, &entitled),
				};
				(writer, call(c))
			},
		}
	}

	fn groups_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall, Option<Pending>) {
		use pallet_groups::Call as C;
		let call = |c| RuntimeCall::Groups(c);
		// Forget the groups a dissolution (maybe inside a motion or a batch) removed.
		self.groups.retain(|g| pallet_groups::Groups::<Runtime>::contains_key(g.id));
		let next = pallet_groups::NextGroupId::<Runtime>::get();
		// Mostly a group the fuzzer made, so that its members get as far as an active key, a
		// device served and bound, and a batch anchored with the group's signature.
		let group = match rng.below(10) {
			0..=5 if !self.groups.is_empty() => self.groups[rng.index(self.groups.len())].id,
			0..=8 => rng.below(u64::from(next) + 1) as u32,
			_ => rng.edgy_u32(),
		};
		match rng.below(10) {
			0..=1 => {
				let (members, actors) = self.membership(rng);
				let threshold = match rng.below(10) {
					0..=6 => 2 + rng.below(actors.len().saturating_sub(1) as u64) as u32,
					7..=8 => rng.below(actors.len() as u64 + 2) as u32,
					_ => rng.edgy_u32(),
				};
				let key = ed25519::Pair::from_seed(&rng.array32());
				let (c, made) = if rng.chance(70) {
					(C::create_group { members, threshold }, next)
				} else {
					(C::change_group { group, members, threshold }, group)
				};
				let who = if rng.chance(80) { Who::Council } else { self.authority(rng) };
				(who, call(c), Some(Pending::Group(Group { id: made, key, members: actors })))
			},
			2 => {
				// Not too often a group the fuzzer is building up.
				let group =
					if rng.chance(30) { group } else { rng.below(u64::from(next) + 1) as u32 };
				(self.authority(rng), call(C::dissolve_group { group }), None)
			},
			3..=5 => {
				let known = self.groups.iter().find(|g| g.id == group);
				let key = match known {
					Some(g) if rng.chance(90) => g.key.public().0,
					_ => rng.array32(),
				};
				let record = pallet_groups::Groups::<Runtime>::get(group);
				// A member who has not confirmed yet, mostly: all of them must, with one key.
				let unconfirmed: Vec<usize> = known.map_or_else(Vec::new, |g| {
					let confirmed: Vec<AccountId> = match record.as_ref().map(|r| &r.key) {
						Some(pallet_groups::KeyStatus::Pending(c)) => {
							c.iter().map(|(who, ..)| who.clone()).collect()
						},
						_ => Vec::new(),
					};
					g.members
						.iter()
						.copied()
						.filter(|m| !confirmed.contains(&self.actors[*m].account))
						.collect()
				});
				let who = if !unconfirmed.is_empty() && rng.chance(80) {
					Who::Signed(unconfirmed[rng.index(unconfirmed.len())])
				} else {
					self.one_of(rng, known.map_or(&[][..], |g| &g.members[..]))
				};
				let epoch = record.map_or(0, |r| r.epoch);
				// One transcript mostly, so that keys become active; now and then another.
				let transcript = if rng.chance(90) { [1; 32] } else { rng.array32() };
				(who, call(C::confirm_key { group, epoch, key, transcript }), None)
			},
			6..=8 => {
				let members =
					self.groups.iter().find(|g| g.id == group).map_or(&[][..], |g| &g.members[..]);
				// Half the time a call already proposed to the group, by a member who has not
				// approved it, so that proposals reach their threshold.
				let open: Vec<(Vec<AccountId>, &RuntimeCall)> = self
					.proposed
					.iter()
					.filter(|(g, ..)| *g == group)
					.filter_map(|(_, hash, c)| {
						let p = pallet_groups::Proposals::<Runtime>::get(group, hash)?;
						Some((p.approvals.into_inner(), c))
					})
					.collect();
				if !open.is_empty() && rng.chance(50) {
					let (approved, inner) = &open[rng.index(open.len())];
					let inner = (*inner).clone();
					let pending: Vec<usize> = members
						.iter()
						.copied()
						.filter(|m| !approved.contains(&self.actors[*m].account))
						.collect();
					let who = self.one_of(rng, &pending);
					return (who, call(C::approve { group, call: Box::new(inner) }), None);
				}
				let who = self.one_of(rng, members);
				let inner = match rng.below(6) {
					// What the group's devices need, the same call from every member: serve an
					// owner of the fuzzer's devices whom the group does not serve yet.
					4..=5 => match self.unserved_owner(group) {
						Some(owner) => {
							RuntimeCall::Devices(pallet_devices::Call::serve_owner { owner })
						},
						None => self.balances_call(rng).1,
					},
					0 => RuntimeCall::Devices(pallet_devices::Call::serve_owner {
						owner: self.account(rng),
					}),
					1 => RuntimeCall::Devices(pallet_devices::Call::release_device {
						device: self.device_id(rng),
					}),
					2 => RuntimeCall::Devices(pallet_devices::Call::stop_serving {
						owner: self.account(rng),
					}),
					3 if rng.chance(50) => {
						RuntimeCall::Devices(pallet_devices::Call::serve_owner {
							owner: match pallet_devices::Devices::<Runtime>::get(
								self.device_id(rng),
							) {
								Some(d) => d.owner,
								None => self.account(rng),
							},
						})
					},
					_ => self.balances_call(rng).1,
				};
				let hash = sp_core::H256(sp_io::hashing::blake2_256(&inner.encode()));
				self.proposed.push((group, hash, inner.clone()));
				if self.proposed.len() > 16 {
					self.proposed.remove(0);
				}
				(who, call(C::approve { group, call: Box::new(inner) }), None)
			},
			_ => {
				let hash = match pallet_groups::Proposals::<Runtime>::iter_prefix(group).next() {
					Some((hash, _)) if rng.chance(80) => hash,
					_ => rng.h256(),
				};
				(Who::Signed(self.actor(rng)), call(C::withdraw { group, call_hash: hash }), None)
			},
		}
	}

	/// An owner of one of the fuzzer's devices whom `group`'s account does not serve.
	fn unserved_owner(&self, group: u32) -> Option<AccountId> {
		let account = pallet_groups::Pallet::<Runtime>::account_of(group);
		self.devices.iter().find_map(|d| {
			let owner = pallet_devices::Devices::<Runtime>::get(d.id)?.owner;
			(!pallet_devices::ServedOwners::<Runtime>::contains_key(&account, &owner))
				.then_some(owner)
		})
	}

	/// Members for a group: gateways (actors) of different council members, now and then not.
	fn membership(
		&self,
		rng: &mut Rng,
	) -> (
		BoundedVec<pallet_groups::Membership<AccountId>, frame_support::traits::ConstU32<16>>,
		Vec<usize>,
	) {
		// Mostly a group the pallet takes: 2 to 4 distinct gateways, each of another council
		// member.
		let proper = rng.chance(75);
		let n = if proper { 2 + rng.below(3) } else { rng.below(6) } as usize;
		let mut gateways: Vec<usize> = (0..self.actors.len()).collect();
		let mut members = Vec::new();
		let mut actors = Vec::new();
		for k in 0..n {
			let gateway = if proper && !gateways.is_empty() {
				gateways.swap_remove(rng.index(gateways.len()))
			} else {
				self.actor(rng)
			};
			let member = if proper || rng.chance(85) { k % self.council } else { self.actor(rng) };
			actors.push(gateway);
			members.push(pallet_groups::Membership {
				gateway: self.actors[gateway].account.clone(),
				member: self.actors[member].account.clone(),
			});
		}
		(bounded(members), actors)
	}

	fn governance_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_consortium::Call as C;
		let call = |c| RuntimeCall::Consortium(c);
		let c = match rng.below(5) {
			0 => C::add_validator { validator: self.account(rng) },
			1 => C::remove_validator { validator: self.account(rng) },
			2 => C::add_node { peer_id: bounded(rng.some_bytes(40)), owner: self.account(rng) },
			3 => {
				let peer_id = match pallet_consortium::Nodes::<Runtime>::get().keys().next() {
					Some(p) if rng.chance(50) => p.clone(),
					_ => bounded(rng.some_bytes(40)),
				};
				C::remove_node { peer_id }
			},
			_ => {
				let (_, inner) = self.balances_call(rng);
				C::dispatch_as_root { call: Box::new(inner) }
			},
		};
		(self.authority(rng), call(c))
	}

	/// The council's own calls as its members make them: a motion proposed, voted on by the
	/// members who have not voted yet, closed with the bounds it needs (or not, now and then).
	/// A motion carries what the council decides elsewhere in the fuzzer (validators, nodes,
	/// groups, root calls through the consortium).
	fn council_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_collective::{Call as C, Instance1};
		let call = |c| RuntimeCall::Council(c);
		let members: Vec<usize> = pallet_collective::Members::<Runtime, Instance1>::get()
			.iter()
			.filter_map(|m| self.actor_of(m))
			.collect();
		let open = pallet_collective::Proposals::<Runtime, Instance1>::get();
		let motion = (!open.is_empty()).then(|| open[rng.index(open.len())]);
		// (index, threshold, ayes, nays, end), the fields `Votes` keeps private.
		let votes = motion.and_then(|h| {
			let v = pallet_collective::Voting::<Runtime, Instance1>::get(h)?;
			<(u32, u32, Vec<AccountId>, Vec<AccountId>, u32)>::decode(&mut &v.encode()[..]).ok()
		});
		match (rng.below(10), motion, votes) {
			(0..=3, Some(hash), Some((index, _, ayes, nays, _))) => {
				let not_voted: Vec<usize> = members
					.iter()
					.copied()
					.filter(|m| {
						let a = &self.actors[*m].account;
						!ayes.contains(a) && !nays.contains(a)
					})
					.collect();
				let index = if rng.chance(90) { index } else { rng.edgy_u32() };
				(
					self.one_of(rng, &not_voted),
					call(C::vote { proposal: hash, index, approve: rng.chance(80) }),
				)
			},
			(4..=6, Some(hash), Some((index, ..))) => {
				let proposal = pallet_collective::ProposalOf::<Runtime, Instance1>::get(hash);
				let (weight, length) = proposal.as_ref().map_or((Default::default(), 0), |p| {
					(p.get_dispatch_info().call_weight, p.encoded_size() as u32)
				});
				let (proposal_weight_bound, length_bound) = if rng.chance(85) {
					(weight, length)
				} else {
					(weight.saturating_div(2), length / 2)
				};
				let c =
					C::close { proposal_hash: hash, index, proposal_weight_bound, length_bound };
				(Who::Signed(self.actor(rng)), call(c))
			},
			_ => {
				let proposal = match rng.below(4) {
					0 => self.governance_call(rng).1,
					1 => self.groups_call(rng).1,
					2 => RuntimeCall::Consortium(pallet_consortium::Call::dispatch_as_root {
						call: Box::new(RuntimeCall::System(
							frame_system::Call::remark_with_event { remark: rng.some_bytes(16) },
						)),
					}),
					_ => {
						let (_, c) = self.anchoring_call(rng);
						c
					},
				};
				let proposal = if trusted_may(&proposal) {
					proposal
				} else {
					RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() })
				};
				let length = proposal.encoded_size() as u32;
				let length_bound = if rng.chance(90) { length } else { length / 2 };
				let threshold = if rng.chance(80) { 3 } else { rng.below(6) as u32 };
				let c = C::propose { threshold, proposal: Box::new(proposal), length_bound };
				(self.one_of(rng, &members), call(c))
			},
		}
	}

	fn balances_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_balances::Call as C;
		// Now and then a group's account, which pays its deposits and fees from what it is sent.
		let dest = match self.groups.len() {
			n if n > 0 && rng.chance(10) => {
				pallet_groups::Pallet::<Runtime>::account_of(self.groups[rng.index(n)].id)
			},
			_ => self.account(rng),
		}
		.into();
		let value = match rng.below(10) {
			0 => rng.edgy_u128(UNIT),
			1 => pallet_balances::Pallet::<Runtime>::free_balance(&self.actors[0].account),
			_ => rng.below(10) as u128 * UNIT,
		};
		let c = match rng.below(20) {
			0 => C::transfer_all { dest, keep_alive: rng.chance(50) },
			1..=9 => C::transfer_allow_death { dest, value },
			_ => C::transfer_keep_alive { dest, value },
		};
		(Who::Signed(self.actor(rng)), RuntimeCall::Balances(c))
	}

	/// A `utility.batch`/`batchAll`/`forceBatch` of a few of the calls above, one signer.
	fn batch_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		use pallet_utility::Call as C;
		let calls: Vec<RuntimeCall> = (0..1 + rng.below(4))
			.map(|_| match rng.below(4) {
				0 => self.anchoring_call(rng).1,
				1 => self.obligations_call(rng).1,
				2 => self.balances_call(rng).1,
				_ => self.devices_call(rng).1,
			})
			.collect();
		let c = match rng.below(3) {
			0 => C::batch { calls },
			1 => C::batch_all { calls },
			_ => C::force_batch { calls },
		};
		(Who::Signed(self.actor(rng)), RuntimeCall::Utility(c))
	}

	/// A call of any pallet decoded from random bytes (a few tries), from any origin.
	fn decoded_call(&mut self, rng: &mut Rng) -> (Who, RuntimeCall) {
		for _ in 0..64 {
			let mut bytes = vec![PALLETS[rng.index(PALLETS.len())], rng.below(24) as u8];
			let len = rng.index(160);
			bytes.extend(rng.bytes(len));
			if let Ok(call) = RuntimeCall::decode_with_depth_limit(8, &mut &bytes[..]) {
				let who =
					if rng.chance(50) { self.authority(rng) } else { Who::Signed(self.actor(rng)) };
				if matches!(who, Who::Root | Who::Council) && !trusted_may(&call) {
					continue;
				}
				return (who, call);
			}
		}
		(
			Who::Signed(self.actor(rng)),
			RuntimeCall::System(frame_system::Call::remark { remark: rng.bytes(8) }),
		)
	}

	/// Record what a successful call made.
	pub fn settle(&mut self, pending: Pending) {
		match pending {
			Pending::Device(pair) => {
				let id = pair.key.device_id();
				if !self.devices.iter().any(|d| d.id == id) {
					self.devices.push(Device { id, pair, old: None });
				}
			},
			Pending::Group(group) => {
				self.groups.retain(|g| g.id != group.id);
				if !group.members.is_empty() {
					self.groups.push(group);
				}
			},
			Pending::Rotation(i, new) => {
				let d = &mut self.devices[i];
				d.old = Some(std::mem::replace(&mut d.pair, new));
			},
		}
	}
}

/// What the fuzzer learns if the call succeeds.
pub enum Pending {
	/// A device registered with this key pair.
	Device(DeviceKeypair),
	/// Device `i` rotated to this key pair.
	Rotation(usize, DeviceKeypair),
	/// A group made or changed: its members, and the key they will confirm.
	Group(Group),
}

/// Whether the council may be fuzzed with `call`: not what lets `Root` rewrite storage or the
/// issuance directly (the council is trusted not to; those calls break any invariant by design).
fn trusted_may(call: &RuntimeCall) -> bool {
	use frame_system::Call as S;
	match call {
		RuntimeCall::System(S::remark { .. } | S::remark_with_event { .. }) => true,
		RuntimeCall::System(_) => false,
		RuntimeCall::Balances(pallet_balances::Call::force_adjust_total_issuance { .. }) => false,
		// pallet-grandpa doubles the delay unchecked when it schedules the forced change (an
		// overflow panic in a debug build, a wrapped `NextForced` in the Wasm runtime): a
		// council that stalls finality for over 2^31 blocks is not a case to fuzz.
		RuntimeCall::Grandpa(pallet_grandpa::Call::note_stalled { delay, .. }) => *delay < 1 << 31,
		RuntimeCall::Utility(
			pallet_utility::Call::batch { calls }
			| pallet_utility::Call::batch_all { calls }
			| pallet_utility::Call::force_batch { calls },
		) => calls.iter().all(trusted_may),
		RuntimeCall::Utility(
			pallet_utility::Call::as_derivative { call, .. }
			| pallet_utility::Call::dispatch_as { call, .. }
			| pallet_utility::Call::with_weight { call, .. },
		) => trusted_may(call),
		RuntimeCall::Utility(pallet_utility::Call::if_else { main, fallback }) => {
			trusted_may(main) && trusted_may(fallback)
		},
		RuntimeCall::Consortium(pallet_consortium::Call::dispatch_as_root { call }) => {
			trusted_may(call)
		},
		RuntimeCall::Groups(pallet_groups::Call::approve { call, .. }) => trusted_may(call),
		RuntimeCall::Council(
			pallet_collective::Call::propose { proposal, .. }
			| pallet_collective::Call::execute { proposal, .. },
		) => trusted_may(proposal),
		_ => true,
	}
}

fn metadata(rng: &mut Rng) -> pallet_devices::DeviceMetadata<Runtime> {
	pallet_devices::DeviceMetadata {
		model: bounded(rng.some_bytes(10)),
		serial_hash: rng.h256(),
		uri: bounded(rng.some_bytes(20)),
	}
}

fn rule(rng: &mut Rng) -> ThresholdRule {
	let metric = if rng.chance(90) { 1 + rng.below(2) as u16 } else { rng.next_u64() as u16 };
	let bound = |rng: &mut Rng| rng.chance(70).then(|| rng.below(60_000) as i64 - 30_000);
	ThresholdRule { metric, min: bound(rng), max: bound(rng) }
}

/// A signature with one byte flipped.
fn spoil(rng: &mut Rng, signature: DeviceSignature) -> DeviceSignature {
	let mut bytes = signature.encode();
	if bytes.len() > 1 {
		let i = 1 + rng.index(bytes.len() - 1);
		bytes[i] ^= 0x20;
	}
	codec::Decode::decode(&mut &bytes[..]).unwrap_or(signature)
}

/// A vector cut to its bound.
fn bounded<T, S: frame_support::traits::Get<u32>>(mut v: Vec<T>) -> BoundedVec<T, S> {
	v.truncate(S::get() as usize);
	BoundedVec::truncate_from(v)
}
