//! `iotrust-gateway verify`: a proof as `GET /proof/<device>/<seq>` serves it, checked against
//! the chain (`anchoringApi.checkReading`); exits 0 only if the chain confirms the reading.

use crate::{
	chain::{self, Chain},
	ingest::telemetry,
};
use std::io::Read;

/// The chain's verdict on the proof in `path` (`-`: standard input), printed as JSON.
pub async fn run(node: &str, path: &std::path::Path) -> anyhow::Result<()> {
	let mut text = String::new();
	if path.as_os_str() == "-" {
		std::io::stdin().read_to_string(&mut text)?;
	} else {
		text = std::fs::read_to_string(path)?;
	}
	let v: serde_json::Value = serde_json::from_str(&text)?;
	let anchor = v["anchor"].as_u64().ok_or_else(|| anyhow::anyhow!("the proof has no anchor"))?;
	let reading =
		telemetry::reading_from_value(v["reading"].clone()).map_err(anyhow::Error::msg)?;
	let proof = telemetry::proof_from_value(&v["proof"]).map_err(anyhow::Error::msg)?;
	let chain = Chain::connect(node, None).await.map_err(anyhow::Error::msg)?;
	let verdict =
		chain.check_reading(anchor, &reading, &proof).await.map_err(anyhow::Error::msg)?;
	let head = chain.anchor(anchor).await.map_err(anyhow::Error::msg)?;
	let out = serde_json::json!({
		"verdict": format!("{verdict:?}"),
		"anchor": anchor,
		"gateway": head.as_ref().map(|h| chain::ss58(&h.gateway)),
		"batch": head.as_ref().map(|h| h.header.batch),
		"root": head.as_ref().map(|h| telemetry::hex0x(h.header.root.as_bytes())),
		"readingCount": head.as_ref().map(|h| h.header.reading_count),
	});
	println!("{}", serde_json::to_string_pretty(&out)?);
	if !verdict.is_anchored() {
		anyhow::bail!("the chain does not confirm this reading: {verdict:?}");
	}
	Ok(())
}
