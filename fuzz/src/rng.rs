//! A small seeded generator (SplitMix64): the same seed gives the same calls, so any failure
//! replays from the seed and case number the fuzzer prints.

use sp_core::H256;

pub struct Rng(u64);

impl Rng {
	pub fn new(seed: u64) -> Self {
		Self(seed ^ 0x9e37_79b9_7f4a_7c15)
	}

	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	/// Uniform in `0..n` (0 when `n` is 0).
	pub fn below(&mut self, n: u64) -> u64 {
		if n == 0 {
			0
		} else {
			self.next_u64() % n
		}
	}

	/// A `usize` in `0..n`.
	pub fn index(&mut self, n: usize) -> usize {
		self.below(n as u64) as usize
	}

	/// True `percent` times in a hundred.
	pub fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}

	pub fn bytes(&mut self, n: usize) -> Vec<u8> {
		(0..n).map(|_| self.next_u64() as u8).collect()
	}

	/// Fewer than `max` random bytes.
	pub fn some_bytes(&mut self, max: usize) -> Vec<u8> {
		let n = self.index(max);
		self.bytes(n)
	}

	pub fn array32(&mut self) -> [u8; 32] {
		let mut out = [0u8; 32];
		for chunk in out.chunks_mut(8) {
			chunk.copy_from_slice(&self.next_u64().to_le_bytes());
		}
		out
	}

	pub fn h256(&mut self) -> H256 {
		H256(self.array32())
	}

	/// A number from where bugs live: zero, one, small, the largest, one below it, or any.
	pub fn edgy_u64(&mut self) -> u64 {
		match self.below(8) {
			0 => 0,
			1 => 1,
			2 => u64::MAX,
			3 => u64::MAX - 1,
			4 => u64::from(u32::MAX),
			5 | 6 => self.below(100),
			_ => self.next_u64(),
		}
	}

	pub fn edgy_u32(&mut self) -> u32 {
		match self.below(6) {
			0 => 0,
			1 => u32::MAX,
			2 | 3 => self.below(50) as u32,
			_ => self.next_u64() as u32,
		}
	}

	/// A balance: mostly a few units, sometimes nothing, dust or everything there is.
	pub fn edgy_u128(&mut self, unit: u128) -> u128 {
		match self.below(8) {
			0 => 0,
			1 => 1,
			2 => u128::MAX,
			3 => u128::from(self.next_u64()) * unit,
			_ => u128::from(self.below(50) + 1) * unit,
		}
	}
}
