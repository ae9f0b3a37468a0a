//! The chain's interface as this gateway uses it: every call it submits ([`CallDef`]), every
//! runtime API method it calls ([`ApiDef`]) and every event it reads ([`EventDef`]), each with
//! the Rust types it is encoded and decoded with — the chain's own types, from
//! `iotrust-primitives` and the runtime-API crates. Call sites can only pass arguments that encode like those types (`EncodeLike`), and [`check`] compares
//! every one with the runtime's metadata when the gateway starts: a runtime whose calls,
//! methods or events changed shape is refused with an error naming the first that differs,
//! never misencoded or misread.
//!
//! Two types agree when they encode alike, as SCALE does: a struct or tuple is its fields one
//! after another (so the pallet's `BoundedVec` is the `Vec` it wraps, and `AnchorHeader` the five
//! arguments it spans), an enum is its variants by index and name, and sequences, arrays,
//! compacts and primitives must match exactly.

use super::{
	AccountId, ChainAnchor, ChannelInfo, DeviceInfo, DocumentInfo, EpochInfo, Events, GroupInfo,
};
use codec::{Decode, Encode, EncodeLike};
use iotrust_primitives::{
	anchoring::{AnchorHeader, AnchorId, DeviceRange, RangeCheck, ReadingCheck},
	channels::{
		Access, ChannelEpoch, ChannelId, DocumentHash, EncryptionKey, KeyId, Role, SealedKey,
	},
	device::{DeviceId, DevicePublicKey, DeviceSignature},
	groups::{Epoch, GroupId, GroupPublicKey, GroupSignature, Proposal, Transcript},
	merkle::{MerkleProof, SignedReading},
	obligations::ObligationRequest,
	Balance,
};
use pallet_obligations_runtime_api::DispatchError;
use scale_info::{
	form::PortableForm, meta_type, MetaType, PortableRegistry, Registry, TypeDef, TypeDefPrimitive,
};
use std::marker::PhantomData;
use subxt::metadata::Metadata;

/// A call of `pallet` named `name` whose arguments encode as `A`.
pub struct CallDef<A> {
	/// The pallet, as the metadata names it.
	pub pallet: &'static str,
	/// The call.
	pub name: &'static str,
	/// What follows `A`: nothing, or the runtime's call enum (`groups.approve`'s call).
	tail: Tail,
	args: PhantomData<fn(A)>,
}

/// What a call's arguments end with besides its typed ones.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tail {
	/// Nothing.
	None,
	/// One of the runtime's calls (already encoded).
	Call,
	/// A list of the runtime's calls (already encoded).
	Calls,
}

impl<A: Encode> CallDef<A> {
	const fn new(pallet: &'static str, name: &'static str) -> Self {
		Self { pallet, name, tail: Tail::None, args: PhantomData }
	}

	const fn then(self, tail: Tail) -> Self {
		Self { tail, ..self }
	}

	/// `args`, encoded for this call.
	pub fn encode(&self, args: &impl EncodeLike<A>) -> Vec<u8> {
		args.encode()
	}
}

/// A runtime API method, `api`'s `method`, taking arguments that encode as `A` and answering
/// an `R`.
pub struct ApiDef<A, R> {
	/// The runtime API trait, as the metadata names it.
	pub api: &'static str,
	/// The method.
	pub method: &'static str,
	types: PhantomData<fn(A) -> R>,
}

impl<A: Encode, R> ApiDef<A, R> {
	const fn new(api: &'static str, method: &'static str) -> Self {
		Self { api, method, types: PhantomData }
	}

	/// The name `state_call` takes: `Api_method`.
	pub fn state_call(&self) -> String {
		format!("{}_{}", self.api, self.method)
	}

	/// `args`, encoded for this method.
	pub fn encode(&self, args: &impl EncodeLike<A>) -> Vec<u8> {
		args.encode()
	}
}

/// An event of `pallet` named `name` whose fields begin with fields that encode as `F`: the
/// gateway decodes what it reads, so an event may gain fields at its end.
pub struct EventDef<F> {
	/// The pallet, as the metadata names it.
	pub pallet: &'static str,
	/// The event.
	pub name: &'static str,
	fields: PhantomData<fn() -> F>,
}

impl<F: Decode> EventDef<F> {
	const fn new(pallet: &'static str, name: &'static str) -> Self {
		Self { pallet, name, fields: PhantomData }
	}

	/// Whether `pallet`'s event `name` is this one.
	pub fn is(&self, pallet: &str, name: &str) -> bool {
		pallet == self.pallet && name == self.name
	}

	/// The fields the gateway reads, from an event's SCALE-encoded fields.
	pub fn decode(&self, mut fields: &[u8]) -> Option<F> {
		F::decode(&mut fields).ok()
	}

	/// The first of a finalized extrinsic's `events` that is this one, decoded.
	pub fn find(&self, events: &Events) -> Option<F> {
		events.iter().find(|(p, n, _)| self.is(p, n)).and_then(|(_, _, f)| self.decode(f))
	}
}

/// `anchoring.anchor(batch, root, reading_count, from_ms, to_ms, ranges)`.
pub const ANCHOR: CallDef<(AnchorHeader, Vec<DeviceRange>)> = CallDef::new("Anchoring", "anchor");
/// `anchoring.anchor_as_group(group, epoch, batch, root, reading_count, from_ms, to_ms, ranges,
/// signature)`.
pub const ANCHOR_AS_GROUP: CallDef<(
	GroupId,
	Epoch,
	AnchorHeader,
	Vec<DeviceRange>,
	GroupSignature,
)> = CallDef::new("Anchoring", "anchor_as_group");
/// `obligations.create_for_device(device, request, signature)`.
pub const CREATE_FOR_DEVICE: CallDef<(DeviceId, ObligationRequest<Balance>, u32, DeviceSignature)> =
	CallDef::new("Obligations", "create_for_device");
/// `devices.register(key, metadata, proof)` (the simulator's).
pub const REGISTER: CallDef<(
	DevicePublicKey,
	pallet_devices_runtime_api::MetadataInfo,
	DeviceSignature,
)> = CallDef::new("Devices", "register");
/// `devices.bind_gateway(device, gateway)` (the simulator's).
pub const BIND_GATEWAY: CallDef<(DeviceId, AccountId)> = CallDef::new("Devices", "bind_gateway");
/// `devices.serve_owner(owner)`.
pub const SERVE_OWNER: CallDef<AccountId> = CallDef::new("Devices", "serve_owner");
/// `devices.report_equivocation(first, second)`: two readings a device signed under one number.
pub const REPORT_EQUIVOCATION: CallDef<(SignedReading, SignedReading)> =
	CallDef::new("Devices", "report_equivocation");
/// `groups.confirm_key(group, epoch, key, transcript)`.
pub const CONFIRM_KEY: CallDef<(GroupId, Epoch, GroupPublicKey, Transcript)> =
	CallDef::new("Groups", "confirm_key");
/// `groups.approve(group, call)`, the call encoded after the group.
pub const APPROVE: CallDef<GroupId> = CallDef::new("Groups", "approve").then(Tail::Call);
/// `groups.withdraw(group, call_hash)`.
pub const WITHDRAW: CallDef<(GroupId, [u8; 32])> = CallDef::new("Groups", "withdraw");
/// `utility.batch_all(calls)`, the calls encoded after their count.
pub const BATCH_ALL: CallDef<()> = CallDef::new("Utility", "batch_all").then(Tail::Calls);

/// Epoch keys sealed to each recipient.
type SealedKeys = Vec<(AccountId, SealedKey)>;
/// Members and their roles.
type Members = Vec<(AccountId, Role)>;
/// Epochs' keys sealed to one recipient.
type EpochKeys = Vec<(ChannelEpoch, SealedKey)>;

/// `channels.set_encryption_key(key)`.
pub const SET_ENCRYPTION_KEY: CallDef<EncryptionKey> =
	CallDef::new("Channels", "set_encryption_key");
/// `channels.create_channel(members, retention)`.
pub const CREATE_CHANNEL: CallDef<(Members, Option<u32>)> =
	CallDef::new("Channels", "create_channel");
/// `channels.change_members(channel, add, remove, key_id, keys)`.
pub const CHANGE_MEMBERS: CallDef<(ChannelId, Members, Vec<AccountId>, KeyId, SealedKeys)> =
	CallDef::new("Channels", "change_members");
/// `channels.rotate_key(channel, key_id, keys)`.
pub const ROTATE_KEY: CallDef<(ChannelId, KeyId, SealedKeys)> =
	CallDef::new("Channels", "rotate_key");
/// `channels.grant_auditor(channel, auditor, from, until)`.
pub const GRANT_AUDITOR: CallDef<(ChannelId, AccountId, u32, u32)> =
	CallDef::new("Channels", "grant_auditor");
/// `channels.revoke_auditor(channel, auditor)`.
pub const REVOKE_AUDITOR: CallDef<(ChannelId, AccountId)> =
	CallDef::new("Channels", "revoke_auditor");
/// `channels.deliver_keys(channel, to, keys)`.
pub const DELIVER_KEYS: CallDef<(ChannelId, AccountId, EpochKeys)> =
	CallDef::new("Channels", "deliver_keys");
/// `channels.set_retention(channel, retention)`.
pub const SET_CHANNEL_RETENTION: CallDef<(ChannelId, Option<u32>)> =
	CallDef::new("Channels", "set_retention");
/// `channels.close_channel(channel)`.
pub const CLOSE_CHANNEL: CallDef<ChannelId> = CallDef::new("Channels", "close_channel");
/// `channels.publish_document(channel, hash, epoch, size)`.
pub const PUBLISH_DOCUMENT: CallDef<(ChannelId, DocumentHash, ChannelEpoch, u32)> =
	CallDef::new("Channels", "publish_document");
/// `channelsApi.document(channel, hash)`.
pub const DOCUMENT: ApiDef<(ChannelId, DocumentHash), Option<DocumentInfo>> =
	ApiDef::new("ChannelsApi", "document");

/// `channelsApi.channel(channel)`.
pub const CHANNEL: ApiDef<ChannelId, Option<ChannelInfo>> = ApiDef::new("ChannelsApi", "channel");
/// `channelsApi.epoch(channel, epoch)`.
pub const CHANNEL_EPOCH: ApiDef<(ChannelId, ChannelEpoch), Option<EpochInfo>> =
	ApiDef::new("ChannelsApi", "epoch");
/// `channelsApi.sealed_key(channel, epoch, who)`.
pub const SEALED_KEY: ApiDef<
	(ChannelId, ChannelEpoch, AccountId),
	Option<pallet_channels_runtime_api::SealedEpochKey>,
> = ApiDef::new("ChannelsApi", "sealed_key");
/// `channelsApi.access(channel, who)`.
pub const CHANNEL_ACCESS: ApiDef<(ChannelId, AccountId), Access<u32>> =
	ApiDef::new("ChannelsApi", "access");
/// `channelsApi.encryption_key(who)`.
pub const ENCRYPTION_KEY: ApiDef<AccountId, Option<EncryptionKey>> =
	ApiDef::new("ChannelsApi", "encryption_key");
/// `channelsApi.device_channels(devices)`.
pub const DEVICE_CHANNELS: ApiDef<Vec<DeviceId>, Vec<Option<ChannelId>>> =
	ApiDef::new("ChannelsApi", "device_channels");
/// `Channels.ChannelCreated { channel, owner }`.
pub const CHANNEL_CREATED: EventDef<(ChannelId, AccountId)> =
	EventDef::new("Channels", "ChannelCreated");

/// A page of an owner's devices.
type DevicePage = Vec<(DeviceId, DeviceInfo)>;
/// Ranges to check: each device's first sequence number.
type RangeStarts = Vec<(DeviceId, u64)>;
/// A device's request, as the gateway relays it: its gateway, device, request, last valid block
/// and signature.
type DeviceRequest = (AccountId, DeviceId, ObligationRequest<Balance>, u32, DeviceSignature);

/// `devicesApi.device(device)`.
pub const DEVICE: ApiDef<DeviceId, Option<DeviceInfo>> = ApiDef::new("DevicesApi", "device");
/// `devicesApi.devices_of(owner, start_after, limit)`.
pub const DEVICES_OF: ApiDef<(AccountId, Option<DeviceId>, u32), DevicePage> =
	ApiDef::new("DevicesApi", "devices_of");
/// `devicesApi.serves(gateway, owner)`.
pub const SERVES: ApiDef<(AccountId, AccountId), bool> = ApiDef::new("DevicesApi", "serves");
/// `anchoringApi.anchor(id)`.
pub const ANCHOR_BY_ID: ApiDef<AnchorId, Option<ChainAnchor>> =
	ApiDef::new("AnchoringApi", "anchor");
/// `anchoringApi.anchor_by_batch(gateway, batch)`.
pub const ANCHOR_BY_BATCH: ApiDef<(AccountId, u64), Option<(AnchorId, ChainAnchor)>> =
	ApiDef::new("AnchoringApi", "anchor_by_batch");
/// `anchoringApi.last_batch(gateway)`.
pub const LAST_BATCH: ApiDef<AccountId, Option<u64>> = ApiDef::new("AnchoringApi", "last_batch");
/// `anchoringApi.check_ranges(gateway, ranges)`.
pub const CHECK_RANGES: ApiDef<(AccountId, RangeStarts), Vec<RangeCheck>> =
	ApiDef::new("AnchoringApi", "check_ranges");
/// `anchoringApi.check_reading(anchor, reading, proof)`.
pub const CHECK_READING: ApiDef<(AnchorId, SignedReading, MerkleProof), ReadingCheck> =
	ApiDef::new("AnchoringApi", "check_reading");
/// `groupsApi.group(group)`.
pub const GROUP: ApiDef<GroupId, Option<GroupInfo>> = ApiDef::new("GroupsApi", "group");
/// `groupsApi.proposal(group, call_hash)`.
pub const PROPOSAL: ApiDef<(GroupId, [u8; 32]), Option<Proposal<AccountId>>> =
	ApiDef::new("GroupsApi", "proposal");
/// `obligationsApi.device_nonce(device)`.
pub const DEVICE_NONCE: ApiDef<DeviceId, u32> = ApiDef::new("ObligationsApi", "device_nonce");
/// `obligationsApi.check_device_request(gateway, device, request, valid_until, signature)`.
pub const CHECK_DEVICE_REQUEST: ApiDef<DeviceRequest, Result<(), DispatchError>> =
	ApiDef::new("ObligationsApi", "check_device_request");

/// `Anchoring.Anchored { anchor, gateway, batch, root, .. }`.
pub const ANCHORED: EventDef<(AnchorId, AccountId, u64, sp_core::H256)> =
	EventDef::new("Anchoring", "Anchored");
/// `Obligations.Created { id, .. }`.
pub const OBLIGATION_CREATED: EventDef<u64> = EventDef::new("Obligations", "Created");
/// `Groups.Acted { group, call_hash, result }`: a group's approved call was made.
pub const GROUP_ACTED: EventDef<(GroupId, [u8; 32], Result<(), DispatchError>)> =
	EventDef::new("Groups", "Acted");
/// The devices pallet's events whose first field is the device they change.
pub const DEVICE_CHANGED: [EventDef<DeviceId>; 10] = [
	EventDef::new("Devices", "DeviceRegistered"),
	EventDef::new("Devices", "GatewayBound"),
	EventDef::new("Devices", "GatewayUnbound"),
	EventDef::new("Devices", "DeviceReleased"),
	EventDef::new("Devices", "DeviceSuspended"),
	EventDef::new("Devices", "DeviceResumed"),
	EventDef::new("Devices", "DeviceRevoked"),
	EventDef::new("Devices", "DeviceRemoved"),
	EventDef::new("Devices", "KeyRotated"),
	EventDef::new("Devices", "OwnershipTransferred"),
];

/// A call, method or error this gateway uses that the runtime does not have as it expects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {why}")]
pub struct Mismatch {
	/// What: "the call Anchoring.anchor", "the runtime API method DevicesApi.serves", …
	pub what: String,
	/// How it differs.
	pub why: Why,
}

/// How the runtime differs from what the gateway expects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Why {
	/// The pallet is not in the runtime.
	#[error("the runtime has no such pallet")]
	NoPallet,
	/// The call is not in the pallet.
	#[error("the runtime has no such call")]
	NoCall,
	/// The runtime API method is not in the runtime (an older runtime?).
	#[error("the runtime has no such method (an older runtime?)")]
	NoMethod,
	/// The pallet's error is gone.
	#[error("the runtime has no such error")]
	NoError,
	/// The call no longer ends with one or more of the runtime's calls.
	#[error("it no longer ends with the runtime's calls")]
	NoCalls,
	/// Its arguments encode otherwise.
	#[error("its arguments changed")]
	Arguments,
	/// Its answer encodes otherwise.
	#[error("its answer changed")]
	Answer,
	/// The event is not in the pallet.
	#[error("the runtime has no such event")]
	NoEvent,
	/// The event's fields no longer begin as the gateway reads them.
	#[error("its fields changed")]
	Fields,
	/// A type the metadata names is not in it.
	#[error("type #{0} is not in the metadata")]
	UnknownType(u32),
	/// A type nests deeper than the comparison goes.
	#[error("a type nests too deep to compare (a recursive type?)")]
	TooDeep,
}

impl Mismatch {
	/// `what` differs: `why`.
	pub fn new(what: impl Into<String>, why: Why) -> Self {
		Self { what: what.into(), why }
	}
}

/// One entry of the interface, as [`check`] compares it.
struct Expected {
	what: String,
	shape: Result<Vec<Shape>, Why>,
	kind: Kind,
}

enum Kind {
	Call { pallet: &'static str, name: &'static str, tail: Tail },
	Api { api: &'static str, method: &'static str, output: Result<Vec<Shape>, Why> },
	Event { pallet: &'static str, name: &'static str },
}

impl<A: scale_info::TypeInfo + 'static> CallDef<A> {
	fn expected(&self) -> Expected {
		Expected {
			what: format!("the call {}.{}", self.pallet, self.name),
			shape: ours(meta_type::<A>()),
			kind: Kind::Call { pallet: self.pallet, name: self.name, tail: self.tail },
		}
	}
}

impl<A: scale_info::TypeInfo + 'static, R: scale_info::TypeInfo + 'static> ApiDef<A, R> {
	fn expected(&self) -> Expected {
		Expected {
			what: format!("the runtime API method {}.{}", self.api, self.method),
			shape: ours(meta_type::<A>()),
			kind: Kind::Api { api: self.api, method: self.method, output: ours(meta_type::<R>()) },
		}
	}
}

impl<F: scale_info::TypeInfo + 'static> EventDef<F> {
	fn expected(&self) -> Expected {
		Expected {
			what: format!("the event {}.{}", self.pallet, self.name),
			shape: ours(meta_type::<F>()),
			kind: Kind::Event { pallet: self.pallet, name: self.name },
		}
	}
}

/// Everything the gateway calls and reads: a new [`CallDef`], [`ApiDef`] or [`EventDef`] is
/// checked at start only once it is listed here.
fn interface() -> Vec<Expected> {
	let mut all = vec![
		ANCHOR.expected(),
		ANCHOR_AS_GROUP.expected(),
		CREATE_FOR_DEVICE.expected(),
		REGISTER.expected(),
		BIND_GATEWAY.expected(),
		SERVE_OWNER.expected(),
		CONFIRM_KEY.expected(),
		REPORT_EQUIVOCATION.expected(),
		APPROVE.expected(),
		WITHDRAW.expected(),
		BATCH_ALL.expected(),
		DEVICE.expected(),
		DEVICES_OF.expected(),
		SERVES.expected(),
		ANCHOR_BY_ID.expected(),
		ANCHOR_BY_BATCH.expected(),
		LAST_BATCH.expected(),
		CHECK_RANGES.expected(),
		CHECK_READING.expected(),
		GROUP.expected(),
		PROPOSAL.expected(),
		DEVICE_NONCE.expected(),
		CHECK_DEVICE_REQUEST.expected(),
		DEVICE_CHANNELS.expected(),
		CHANNEL_ACCESS.expected(),
		DOCUMENT.expected(),
		ANCHORED.expected(),
		OBLIGATION_CREATED.expected(),
		GROUP_ACTED.expected(),
	];
	all.extend(DEVICE_CHANGED.iter().map(EventDef::expected));
	all
}

/// What the `channel` commands call and read: checked when they connect, not when the daemon
/// starts (a daemon runs on runtimes without channels).
fn channel_interface() -> Vec<Expected> {
	vec![
		SET_ENCRYPTION_KEY.expected(),
		CREATE_CHANNEL.expected(),
		CHANGE_MEMBERS.expected(),
		ROTATE_KEY.expected(),
		GRANT_AUDITOR.expected(),
		REVOKE_AUDITOR.expected(),
		DELIVER_KEYS.expected(),
		SET_CHANNEL_RETENTION.expected(),
		CLOSE_CHANNEL.expected(),
		PUBLISH_DOCUMENT.expected(),
		DOCUMENT.expected(),
		CHANNEL.expected(),
		CHANNEL_EPOCH.expected(),
		SEALED_KEY.expected(),
		CHANNEL_ACCESS.expected(),
		ENCRYPTION_KEY.expected(),
		CHANNEL_CREATED.expected(),
	]
}

/// Compare every call, runtime API method and event the gateway uses ([`interface`]'s list) with
/// `metadata`; the first that is missing or differs, as an error for the operator.
pub fn check(metadata: &Metadata) -> Result<(), Mismatch> {
	check_list(metadata, interface())
}

/// [`check`] for what the `channel` commands use.
pub fn check_channels(metadata: &Metadata) -> Result<(), Mismatch> {
	check_list(metadata, channel_interface())
}

fn check_list(metadata: &Metadata, list: Vec<Expected>) -> Result<(), Mismatch> {
	let types = metadata.types();
	for e in list {
		let what = e.what;
		let mismatch = |why: Why| Mismatch::new(what.clone(), why);
		let ours = e.shape.map_err(mismatch)?;
		match e.kind {
			Kind::Call { pallet, name, tail } => {
				let variant = metadata
					.pallet_by_name(pallet)
					.and_then(|p| p.call_variant_by_name(name))
					.ok_or_else(|| mismatch(Why::NoCall))?;
				let mut fields: Vec<u32> = variant.fields.iter().map(|f| f.ty.id).collect();
				if tail != Tail::None {
					let last = fields.pop().ok_or_else(|| mismatch(Why::NoCalls))?;
					let call_ty = metadata.outer_enums().call_enum_ty();
					let takes = match (tail, &resolve(types, last).map_err(mismatch)?.type_def) {
						(Tail::Call, _) => last == call_ty || boxes(types, last, call_ty),
						(Tail::Calls, TypeDef::Sequence(s)) => s.type_param.id == call_ty,
						_ => false,
					};
					if !takes {
						return Err(mismatch(Why::NoCalls));
					}
				}
				if shape_of_all(types, &fields).map_err(mismatch)? != ours {
					return Err(mismatch(Why::Arguments));
				}
			},
			Kind::Api { api, method, output } => {
				let m = metadata
					.runtime_api_trait_by_name(api)
					.and_then(|a| a.method_by_name(method))
					.ok_or_else(|| mismatch(Why::NoMethod))?;
				let inputs: Vec<u32> = m.inputs().map(|i| i.id).collect();
				if shape_of_all(types, &inputs).map_err(mismatch)? != ours {
					return Err(mismatch(Why::Arguments));
				}
				let theirs = shape_of_all(types, &[m.output_ty()]).map_err(mismatch)?;
				if theirs != output.map_err(mismatch)? {
					return Err(mismatch(Why::Answer));
				}
			},
			Kind::Event { pallet, name } => {
				let variant = metadata
					.pallet_by_name(pallet)
					.ok_or_else(|| mismatch(Why::NoPallet))?
					.event_variants()
					.and_then(|vs| vs.iter().find(|v| v.name == name))
					.ok_or_else(|| mismatch(Why::NoEvent))?;
				let fields: Vec<u32> = variant.fields.iter().map(|f| f.ty.id).collect();
				if !shape_of_all(types, &fields).map_err(mismatch)?.starts_with(&ours) {
					return Err(mismatch(Why::Fields));
				}
			},
		}
	}
	Ok(())
}

/// Whether type `id` is a one-field wrapper of `inner` (a `Box` is not in the metadata, but some
/// runtimes wrap their call).
fn boxes(types: &PortableRegistry, id: u32, inner: u32) -> bool {
	matches!(resolve(types, id).map(|t| &t.type_def),
		Ok(TypeDef::Composite(c)) if c.fields.len() == 1 && c.fields[0].ty.id == inner)
}

/// What a type's encoding looks like: structs and tuples are flattened into their fields.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Shape {
	Primitive(TypeDefPrimitive),
	Sequence(Vec<Shape>),
	Array(u32, Vec<Shape>),
	Compact(Vec<Shape>),
	Enum(Vec<(u8, String, Vec<Shape>)>),
	Bits,
}

/// The shape of one of this gateway's types.
fn ours(ty: MetaType) -> Result<Vec<Shape>, Why> {
	let mut registry = Registry::new();
	let id = registry.register_type(&ty).id;
	shape_of_all(&PortableRegistry::from(registry), &[id])
}

/// The shapes of `ids`, one after another.
fn shape_of_all(types: &PortableRegistry, ids: &[u32]) -> Result<Vec<Shape>, Why> {
	let mut out = Vec::new();
	for &id in ids {
		shape(types, id, 0, &mut out)?;
	}
	Ok(out)
}

fn resolve(types: &PortableRegistry, id: u32) -> Result<&scale_info::Type<PortableForm>, Why> {
	types.resolve(id).ok_or(Why::UnknownType(id))
}

/// Append type `id`'s shape to `out`.
fn shape(types: &PortableRegistry, id: u32, depth: u32, out: &mut Vec<Shape>) -> Result<(), Why> {
	if depth > 32 {
		return Err(Why::TooDeep);
	}
	let inner = |id: u32| -> Result<Vec<Shape>, Why> {
		let mut v = Vec::new();
		shape(types, id, depth + 1, &mut v)?;
		Ok(v)
	};
	match &resolve(types, id)?.type_def {
		TypeDef::Composite(c) => {
			for f in &c.fields {
				shape(types, f.ty.id, depth + 1, out)?;
			}
		},
		TypeDef::Tuple(t) => {
			for f in &t.fields {
				shape(types, f.id, depth + 1, out)?;
			}
		},
		TypeDef::Sequence(s) => out.push(Shape::Sequence(inner(s.type_param.id)?)),
		TypeDef::Array(a) => out.push(Shape::Array(a.len, inner(a.type_param.id)?)),
		TypeDef::Compact(c) => out.push(Shape::Compact(inner(c.type_param.id)?)),
		TypeDef::Primitive(p) => out.push(Shape::Primitive(p.clone())),
		TypeDef::BitSequence(_) => out.push(Shape::Bits),
		TypeDef::Variant(v) => {
			let mut variants = Vec::new();
			for variant in &v.variants {
				let mut fields = Vec::new();
				for f in &variant.fields {
					shape(types, f.ty.id, depth + 1, &mut fields)?;
				}
				variants.push((variant.index, variant.name.clone(), fields));
			}
			out.push(Shape::Enum(variants));
		},
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::anchoring::MetricSummary;
	use sp_core::{ConstU32, H256};

	type Bounded<T, const N: u32> = sp_core::bounded::BoundedVec<T, ConstU32<N>>;

	/// The pallet's form of the anchor call: bounded lists, the header's fields one by one.
	#[derive(Encode, scale_info::TypeInfo)]
	struct PalletAnchor {
		batch: u64,
		root: H256,
		reading_count: u32,
		from_ms: u64,
		to_ms: u64,
		ranges: Bounded<DeviceRange<Bounded<MetricSummary, 8>>, 100>,
	}

	fn same<A: scale_info::TypeInfo + 'static, B: scale_info::TypeInfo + 'static>() -> bool {
		ours(meta_type::<A>()).unwrap() == ours(meta_type::<B>()).unwrap()
	}

	#[test]
	fn types_that_encode_alike_agree() {
		assert!(same::<(AnchorHeader, Vec<DeviceRange>), PalletAnchor>());
		assert!(same::<AccountId, sp_core::crypto::AccountId32>());
		assert!(same::<[u8; 32], H256>());
	}

	#[test]
	fn a_changed_shape_is_caught() {
		// A field more, a wider integer, a compact, an array of another length.
		assert!(!same::<(AnchorHeader, Vec<DeviceRange>), (AnchorHeader, u8, Vec<DeviceRange>)>());
		assert!(!same::<(u32, u64), (u64, u64)>());
		assert!(!same::<u64, codec::Compact<u64>>());
		assert!(!same::<[u8; 32], [u8; 33]>());
		// Enums by index and name: the same shapes under other names differ.
		assert!(!same::<RangeCheck, ReadingCheck>());
		assert!(!same::<Option<u8>, Result<u8, ()>>());
	}

	#[test]
	fn every_entry_has_a_shape() {
		for e in interface() {
			assert!(e.shape.is_ok(), "{}", e.what);
		}
	}
}
