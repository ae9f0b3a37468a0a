//! Empty: the build script is what this crate is for.
