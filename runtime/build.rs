//! Builds the runtime's Wasm blob (skipped with `SKIP_WASM_BUILD=1`).

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// The Wasm build needs nothing when the runtime is itself built for Wasm.
#[cfg(not(feature = "std"))]
fn main() {}
