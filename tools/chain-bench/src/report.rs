//! The figures of one run: throughput, latency, block fullness and CPU, as a markdown table,
//! JSON and an SVG plot.

use crate::{watch::Watched, Args, Sent};
use frame_support::dispatch::DispatchClass;
use serde_json::json;
use sp_core::H256;
use std::collections::HashMap;

/// Percentiles of a sample, in seconds.
#[derive(Clone, Copy, Default)]
pub struct Percentiles {
	pub p50: f64,
	pub p95: f64,
	pub p99: f64,
}

impl Percentiles {
	fn of(mut v: Vec<f64>) -> Option<Self> {
		if v.is_empty() {
			return None;
		}
		v.sort_by(|a, b| a.total_cmp(b));
		let at = |q: f64| v[((q * v.len() as f64) as usize).min(v.len() - 1)];
		Some(Self { p50: at(0.50), p95: at(0.95), p99: at(0.99) })
	}
}

/// The three most frequent of `reasons`, most frequent first.
fn top(reasons: HashMap<String, usize>) -> Vec<(String, usize)> {
	let mut v: Vec<_> = reasons.into_iter().collect();
	v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
	v.truncate(3);
	v
}

/// Everything one run measured.
pub struct Report {
	label: String,
	workload: String,
	endpoints: usize,
	rate: u32,
	duration: u32,
	accounts: u32,
	submitted: usize,
	refused: usize,
	refusals: Vec<(String, usize)>,
	load_secs: f64,
	included: usize,
	finalized: usize,
	/// Finalized but failed in dispatch.
	failed: usize,
	failures: Vec<(String, usize)>,
	included_tps: f64,
	finalized_tps: f64,
	in_block: Option<Percentiles>,
	to_final: Option<Percentiles>,
	blocks: usize,
	max_per_block: usize,
	weight_mean: f64,
	weight_max: f64,
	length_mean: f64,
	length_max: f64,
	cpu: Vec<(String, Option<f64>)>,
	/// Per second after the start: submitted, included (by block timestamp), finalized.
	series: Vec<[usize; 3]>,
}

impl Report {
	pub fn new(
		args: &Args,
		sent: &[Sent],
		watched: &Watched,
		load_secs: f64,
		start_unix_ms: u64,
		cpu: Vec<(String, Option<f64>)>,
	) -> Self {
		let accepted: HashMap<H256, f64> =
			sent.iter().filter(|s| s.refused.is_none()).map(|s| (s.hash, s.at)).collect();
		let mut refusals: HashMap<String, usize> = HashMap::new();
		for s in sent {
			if let Some(r) = &s.refused {
				*refusals.entry(r.chars().take(100).collect()).or_default() += 1;
			}
		}
		let refusals = top(refusals);

		// First time each transaction was seen in a best block, on any fork.
		let mut in_block_at: HashMap<H256, f64> = HashMap::new();
		for b in watched.blocks.values() {
			for h in b.extrinsics.iter().filter(|h| accepted.contains_key(h)) {
				let e = in_block_at.entry(*h).or_insert(b.seen);
				*e = e.min(b.seen);
			}
		}
		let in_block =
			Percentiles::of(in_block_at.iter().map(|(h, t)| (t - accepted[h]).max(0.0)).collect());

		let chain = watched.finalized_chain();
		let ours = |b: &crate::watch::BlockRec| {
			b.extrinsics.iter().filter(|h| accepted.contains_key(h)).count()
		};
		let counts: Vec<usize> = chain.iter().map(|b| ours(b)).collect();
		let first = counts.iter().position(|&c| c > 0);
		let last = counts.iter().rposition(|&c| c > 0);
		let finalized: usize = counts.iter().sum();
		let mut failures: HashMap<String, usize> = HashMap::new();
		for (_, why) in
			chain.iter().flat_map(|b| &b.failed).filter(|(h, _)| accepted.contains_key(h))
		{
			*failures.entry(why.clone()).or_default() += 1;
		}
		let failed = failures.values().sum();
		let mut to_final = Vec::new();
		for b in &chain {
			if let Some(f) = b.finalized {
				for h in b.extrinsics.iter().filter_map(|h| accepted.get(h)) {
					to_final.push((f - h).max(0.0));
				}
			}
		}
		let slot = iotrust_runtime::SLOT_DURATION as f64 / 1000.0;
		let (mut included_tps, mut finalized_tps) = (0.0, 0.0);
		let mut with_ours = Vec::new();
		if let (Some(i0), Some(i1)) = (first, last) {
			with_ours = chain[i0..=i1].to_vec();
			let ts = |i: usize| chain[i].timestamp.map(|t| t as f64 / 1000.0);
			// From the end of the block before the first one with ours to the last one with ours.
			let span = match (i0.checked_sub(1).and_then(ts), ts(i1), ts(i0)) {
				(Some(before), Some(end), _) => end - before,
				(None, Some(end), Some(begin)) => end - begin + slot,
				_ => 0.0,
			};
			if span > 0.0 {
				included_tps = finalized as f64 / span;
			}
			let fin_before = i0.checked_sub(1).and_then(|i| chain[i].finalized).unwrap_or(0.0);
			if let Some(fin_end) = chain[i1].finalized {
				if fin_end > fin_before {
					finalized_tps = finalized as f64 / (fin_end - fin_before);
				}
			}
		}
		let weights = iotrust_runtime::configs::RuntimeBlockWeights::get();
		let normal = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
		let max_weight = normal.ref_time() as f64;
		let max_length = f64::from(
			*iotrust_runtime::configs::RuntimeBlockLength::get().max.get(DispatchClass::Normal),
		);
		let ratio = |v: Vec<f64>| {
			let max = v.iter().cloned().fold(0.0, f64::max);
			let mean = if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
			(mean, max)
		};
		let (weight_mean, weight_max) = ratio(
			with_ours.iter().filter_map(|b| b.weight).map(|w| w as f64 / max_weight).collect(),
		);
		let (length_mean, length_max) =
			ratio(with_ours.iter().map(|b| b.length as f64 / max_length).collect());

		let mut series: Vec<[usize; 3]> = Vec::new();
		let mut bump = |t: f64, k: usize| {
			let i = t.max(0.0) as usize;
			if series.len() <= i {
				series.resize(i + 1, [0; 3]);
			}
			series[i][k] += 1;
		};
		for s in sent {
			bump(s.at, 0);
		}
		for (b, &n) in chain.iter().zip(&counts) {
			if let Some(ts) = b.timestamp {
				for _ in 0..n {
					bump((ts as f64 - start_unix_ms as f64) / 1000.0, 1);
				}
			}
			if let Some(f) = b.finalized {
				for _ in 0..n {
					bump(f, 2);
				}
			}
		}

		Self {
			label: args.label.clone(),
			workload: clap::ValueEnum::to_possible_value(&args.workload)
				.map(|v| v.get_name().to_string())
				.unwrap_or_default(),
			endpoints: args.urls.len(),
			rate: args.rate,
			duration: args.duration,
			accounts: args.accounts,
			submitted: sent.len(),
			refused: sent.len() - accepted.len(),
			refusals,
			load_secs,
			included: in_block_at.len(),
			finalized,
			failed,
			failures: top(failures),
			included_tps,
			finalized_tps,
			in_block,
			to_final: Percentiles::of(to_final),
			blocks: with_ours.len(),
			max_per_block: counts.iter().copied().max().unwrap_or(0),
			weight_mean,
			weight_max,
			length_mean,
			length_max,
			cpu,
			series,
		}
	}

	/// The figures as a markdown table.
	pub fn markdown(&self) -> String {
		let pct = |p: Option<Percentiles>| match p {
			Some(p) => format!("{:.2} / {:.2} / {:.2} s", p.p50, p.p95, p.p99),
			None => "–".into(),
		};
		let mut rows = vec![
			(
				"workload",
				format!(
					"{} at {}/s for {} s, {} accounts, {} endpoint(s)",
					self.workload, self.rate, self.duration, self.accounts, self.endpoints
				),
			),
			(
				"submitted",
				format!("{} in {:.1} s ({} refused)", self.submitted, self.load_secs, self.refused),
			),
			("included (best chain)", self.included.to_string()),
			("finalized", self.finalized.to_string()),
			("of them failed in dispatch", self.failed.to_string()),
			(
				"accepted but not finalized in the run",
				(self.submitted - self.refused).saturating_sub(self.finalized).to_string(),
			),
			("included TPS (block timestamps)", format!("{:.0}", self.included_tps)),
			("finalized TPS (finality notifications)", format!("{:.0}", self.finalized_tps)),
			("submit → in block p50 / p95 / p99", pct(self.in_block)),
			("submit → finalized p50 / p95 / p99", pct(self.to_final)),
			("blocks carrying the load", self.blocks.to_string()),
			("most in one block", self.max_per_block.to_string()),
			(
				"normal-class block weight used, mean / max",
				format!("{:.0}% / {:.0}%", self.weight_mean * 100.0, self.weight_max * 100.0),
			),
			(
				"block length used, mean / max",
				format!("{:.1}% / {:.1}%", self.length_mean * 100.0, self.length_max * 100.0),
			),
		];
		for (name, cores) in &self.cpu {
			rows.push((
				"CPU (cores) during load",
				format!("{name}: {}", cores.map(|c| format!("{c:.2}")).unwrap_or("–".into())),
			));
		}
		for (reason, n) in &self.refusals {
			rows.push(("refused because", format!("{n} × {reason}")));
		}
		for (reason, n) in &self.failures {
			rows.push(("failed because", format!("{n} × {reason}")));
		}
		let mut out = String::new();
		if !self.label.is_empty() {
			out.push_str(&format!("{}\n\n", self.label));
		}
		out.push_str("| measure | value |\n|---|---|\n");
		for (k, v) in rows {
			out.push_str(&format!("| {k} | {v} |\n"));
		}
		out
	}

	/// The figures and series as JSON.
	pub fn json(&self) -> serde_json::Value {
		let pct =
			|p: Option<Percentiles>| p.map(|p| json!({"p50": p.p50, "p95": p.p95, "p99": p.p99}));
		json!({
			"label": self.label,
			"workload": self.workload,
			"endpoints": self.endpoints,
			"rate": self.rate,
			"duration": self.duration,
			"accounts": self.accounts,
			"submitted": self.submitted,
			"refused": self.refused,
			"refusals": self.refusals,
			"load_secs": self.load_secs,
			"included": self.included,
			"finalized": self.finalized,
			"failed": self.failed,
			"failures": self.failures,
			"included_tps": self.included_tps,
			"finalized_tps": self.finalized_tps,
			"in_block_secs": pct(self.in_block),
			"to_finalized_secs": pct(self.to_final),
			"blocks": self.blocks,
			"max_per_block": self.max_per_block,
			"block_weight": {"mean": self.weight_mean, "max": self.weight_max},
			"block_length": {"mean": self.length_mean, "max": self.length_max},
			"cpu_cores": self.cpu.iter().map(|(n, c)| json!({"process": n, "cores": c})).collect::<Vec<_>>(),
			"per_second": self.series.iter().enumerate().map(|(t, s)| json!({"t": t, "submitted": s[0], "included": s[1], "finalized": s[2]})).collect::<Vec<_>>(),
		})
	}

	/// Submitted, included and finalized transactions per second, as an SVG line plot.
	pub fn svg(&self) -> String {
		let title = if self.label.is_empty() { self.workload.clone() } else { self.label.clone() };
		plot(&title, &self.summary(), &self.series)
	}

	/// The plot's second line: what ran and what it achieved.
	fn summary(&self) -> String {
		summary_line(
			&self.workload,
			self.rate,
			self.duration,
			self.included_tps,
			self.finalized_tps,
		)
	}
}

/// "transfer at 1000/s for 60 s: included 744 TPS, finalized 713 TPS".
fn summary_line(workload: &str, rate: u32, duration: u32, included: f64, finalized: f64) -> String {
	format!("{workload} at {rate}/s for {duration} s: included {included:.0} TPS, finalized {finalized:.0} TPS")
}

/// Seconds each plotted point averages over: two 2 s slots, so that a block's transactions
/// (stamped in one second) read as a rate rather than as a spike every other second.
const SMOOTHING_SECS: usize = 4;

/// Redraw the plot of a run from its JSON (`--json`), e.g. after the plot changed.
pub fn svg_from_json(json: &serde_json::Value) -> Option<String> {
	let series: Vec<[usize; 3]> = json["per_second"]
		.as_array()?
		.iter()
		.map(|p| {
			let n = |k: &str| p[k].as_u64().unwrap_or(0) as usize;
			[n("submitted"), n("included"), n("finalized")]
		})
		.collect();
	let num = |k: &str| json[k].as_f64().unwrap_or(0.0);
	let summary = summary_line(
		json["workload"].as_str().unwrap_or_default(),
		num("rate") as u32,
		num("duration") as u32,
		num("included_tps"),
		num("finalized_tps"),
	);
	Some(plot(json["label"].as_str().unwrap_or_default(), &summary, &series))
}

/// A line plot of `series` (submitted, included, finalized per second), each point the mean of
/// the [`SMOOTHING_SECS`] seconds around it, under a two-line title.
fn plot(title: &str, summary: &str, series: &[[usize; 3]]) -> String {
	let (w, h, pad, top) = (860.0, 460.0, 60.0, 100.0);
	let smoothed: Vec<[f64; 3]> = (0..series.len())
		.map(|t| {
			let from = t.saturating_sub(SMOOTHING_SECS / 2);
			let to = (from + SMOOTHING_SECS).min(series.len());
			let window = &series[from..to];
			let mean = |k: usize| {
				window.iter().map(|s| s[k] as f64).sum::<f64>() / window.len().max(1) as f64
			};
			[mean(0), mean(1), mean(2)]
		})
		.collect();
	let secs = smoothed.len().max(2) as f64;
	let peak = smoothed.iter().flat_map(|s| s.iter()).copied().fold(1.0, f64::max);
	let x = |t: f64| pad + t / (secs - 1.0) * (w - 2.0 * pad);
	let y = |v: f64| h - pad - v / peak * (h - pad - top);
	let mut out = format!(
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
	);
	out.push_str(&format!(
		"<text x=\"{pad}\" y=\"24\" font-size=\"13\">{}</text>\n<text x=\"{pad}\" y=\"44\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
		xml(title),
		xml(summary)
	));
	// Axes with a few ticks.
	out.push_str(&format!(
		"<line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/><line x1=\"{pad}\" y1=\"{top}\" x2=\"{pad}\" y2=\"{0}\" stroke=\"black\"/>\n",
		h - pad,
		w - pad
	));
	for i in 0..=4 {
		let v = peak * i as f64 / 4.0;
		out.push_str(&format!(
			"<text x=\"{}\" y=\"{:.0}\" text-anchor=\"end\">{v:.0}</text>\n",
			pad - 6.0,
			y(v) + 4.0
		));
		let t = (secs - 1.0) * i as f64 / 4.0;
		out.push_str(&format!(
			"<text x=\"{:.0}\" y=\"{}\" text-anchor=\"middle\">{t:.0} s</text>\n",
			x(t),
			h - pad + 18.0
		));
	}
	out.push_str(&format!(
		"<text x=\"16\" y=\"{0:.0}\" transform=\"rotate(-90 16 {0:.0})\" text-anchor=\"middle\">transactions per second ({SMOOTHING_SECS} s mean)</text>\n",
		(h + top - pad) / 2.0,
	));
	for (k, (name, colour)) in
		[("submitted", "#999999"), ("included", "#1f77b4"), ("finalized", "#2ca02c")]
			.iter()
			.enumerate()
	{
		let points: Vec<String> = smoothed
			.iter()
			.enumerate()
			.map(|(t, s)| format!("{:.1},{:.1}", x(t as f64), y(s[k])))
			.collect();
		out.push_str(&format!(
			"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
			points.join(" ")
		));
		let ly = 58.0 + 14.0 * k as f64;
		out.push_str(&format!(
			"<line x1=\"{0}\" y1=\"{ly}\" x2=\"{1}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{2}\" y=\"{3}\">{name}</text>\n",
			w - pad - 110.0,
			w - pad - 90.0,
			w - pad - 84.0,
			ly + 4.0
		));
	}
	out.push_str("</svg>\n");
	out
}

fn xml(s: &str) -> String {
	s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
