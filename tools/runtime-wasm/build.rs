//! Builds the Wasm of the runtime of the tree `IOTRUST_RUNTIME_TREE` names, as that runtime's own
//! build script would (`WasmBuilder::build_using_defaults`), against that tree's `Cargo.lock`.
//! The Wasm lands where the workspace runtime's does, `<target>/debug/wbuild/iotrust-runtime/`.

fn main() {
	println!("cargo:rerun-if-env-changed=IOTRUST_RUNTIME_TREE");
	let Some(tree) = std::env::var_os("IOTRUST_RUNTIME_TREE") else { return };
	let manifest = std::path::Path::new(&tree).join("runtime").join("Cargo.toml");
	// The builder copies the lock file of the workspace this names into its Wasm project.
	std::env::set_var("WASM_BUILD_WORKSPACE_HINT", &tree);
	match substrate_wasm_builder::WasmBuilder::new().with_project(manifest.clone()) {
		Ok(builder) => builder.import_memory().export_heap_base().build(),
		Err(e) => {
			println!("cargo:warning={}: {e}", manifest.display());
			std::process::exit(1);
		},
	}
}
