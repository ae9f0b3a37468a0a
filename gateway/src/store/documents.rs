//! Documents published to private channels that this gateway keeps: their ciphertext, as the
//! publisher uploaded it, by channel and hash (the chain holds the hash and epoch,
//! `channels.publish_document`), until the channel's retention purges them.

use super::{db, decode, Result};
use codec::{Decode, Encode};
use iotrust_primitives::channels::{ChannelEpoch, ChannelId, DocumentHash};
use redb::{ReadableTable, TableDefinition};

/// (channel, hash) → SCALE [`StoredDocument`].
pub(super) const DOCUMENTS: TableDefinition<(u32, &[u8]), &[u8]> =
	TableDefinition::new("channel_documents");

/// A document's ciphertext as kept.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct StoredDocument {
	/// The epoch whose key seals it.
	pub epoch: ChannelEpoch,
	/// When this gateway took it, Unix ms.
	pub at_ms: u64,
	/// nonce ‖ ciphertext ‖ tag.
	pub data: Vec<u8>,
}

impl super::Store {
	/// Keep `document` as `channel`'s `hash`; `false` (and nothing changes) if it is kept
	/// already.
	pub fn put_document(
		&self,
		channel: ChannelId,
		hash: &DocumentHash,
		document: &StoredDocument,
	) -> Result<bool> {
		let w = self.db.begin_write().map_err(db)?;
		let added = {
			let mut table = w.open_table(DOCUMENTS).map_err(db)?;
			if table.get((channel, &hash[..])).map_err(db)?.is_some() {
				false
			} else {
				table.insert((channel, &hash[..]), &document.encode()[..]).map_err(db)?;
				true
			}
		};
		w.commit().map_err(db)?;
		Ok(added)
	}

	/// `channel`'s document `hash`, if kept.
	pub fn document(
		&self,
		channel: ChannelId,
		hash: &DocumentHash,
	) -> Result<Option<StoredDocument>> {
		let r = self.db.begin_read().map_err(db)?;
		let table = r.open_table(DOCUMENTS).map_err(db)?;
		match table.get((channel, &hash[..])).map_err(db)? {
			Some(v) => Ok(Some(decode("document", v.value())?)),
			None => Ok(None),
		}
	}

	/// The channels this gateway keeps documents of.
	pub fn document_channels(&self) -> Result<Vec<ChannelId>> {
		let r = self.db.begin_read().map_err(db)?;
		let table = r.open_table(DOCUMENTS).map_err(db)?;
		let mut out: Vec<ChannelId> = Vec::new();
		for entry in table.iter().map_err(db)? {
			let (k, _) = entry.map_err(db)?;
			let channel = k.value().0;
			if out.last() != Some(&channel) {
				out.push(channel);
			}
		}
		Ok(out)
	}

	/// Purge `channel`'s documents taken before `cutoff_ms`; how many.
	pub fn purge_documents(&self, channel: ChannelId, cutoff_ms: u64) -> Result<usize> {
		let w = self.db.begin_write().map_err(db)?;
		let count = {
			let mut table = w.open_table(DOCUMENTS).map_err(db)?;
			let mut old = Vec::new();
			for entry in table.range((channel, &[][..])..=(channel, &[0xff; 33][..])).map_err(db)? {
				let (k, v) = entry.map_err(db)?;
				let document: StoredDocument = decode("document", v.value())?;
				if document.at_ms < cutoff_ms {
					old.push(k.value().1.to_vec());
				}
			}
			for hash in &old {
				table.remove((channel, &hash[..])).map_err(db)?;
			}
			old.len()
		};
		w.commit().map_err(db)?;
		Ok(count)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::store::tests::open;

	#[test]
	fn a_document_is_kept_once_and_purged_past_its_cutoff() {
		let (_dir, store) = open();
		let doc = |at_ms| StoredDocument { epoch: 2, at_ms, data: vec![1, 2, 3] };
		assert!(store.put_document(4, &[1; 32], &doc(100)).unwrap());
		assert!(!store.put_document(4, &[1; 32], &doc(999)).unwrap(), "kept once");
		assert!(store.put_document(4, &[2; 32], &doc(300)).unwrap());
		assert!(store.put_document(5, &[1; 32], &doc(100)).unwrap());
		assert_eq!(store.document(4, &[1; 32]).unwrap(), Some(doc(100)));
		assert_eq!(store.document_channels().unwrap(), vec![4, 5]);
		assert_eq!(store.purge_documents(4, 200).unwrap(), 1);
		assert_eq!(store.document(4, &[1; 32]).unwrap(), None);
		assert!(store.document(4, &[2; 32]).unwrap().is_some());
		assert!(store.document(5, &[1; 32]).unwrap().is_some(), "another channel's stays");
	}
}
