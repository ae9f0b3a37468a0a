#!/usr/bin/env node
// Import cycles between a Rust crate's top-level modules: a module is `src/<name>.rs` or
// `src/<name>/…`; it depends on another when its code (comments and `#[cfg(test)]` modules
// left out) names `crate::<other>`, or `super::<other>` from a file directly under `src/`.
// Prints each group of modules that depend on each other in a circle and exits 1 if there is
// one; prints the graph with --graph.
//
//   node scripts/lib/module-cycles.mjs gateway/src primitives/src [--graph]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const args = process.argv.slice(2);
const showGraph = args.includes('--graph');
const roots = args.filter((a) => !a.startsWith('--'));
if (roots.length === 0) {
  console.error('usage: module-cycles.mjs <crate>/src [...] [--graph]');
  process.exit(2);
}

/** Every .rs file under `dir`. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.rs') ? [path] : [];
  });
}

/** `text` without comments and with empty string and char literals (a scanner, so that `//`
 * inside a string is not a comment), then without the `#[cfg(test)]` modules. */
function code(text) {
  let stripped = '';
  for (let i = 0; i < text.length;) {
    const rest = text.slice(i, i + 3);
    if (rest.startsWith('//')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (rest.startsWith('/*')) {
      let depth = 0;
      do {
        if (text.startsWith('/*', i)) { depth++; i += 2; } else if (text.startsWith('*/', i)) { depth--; i += 2; } else i++;
      } while (depth > 0 && i < text.length);
    } else if (/^(?:b?r#*")/.test(rest) && /[^a-z0-9_]/i.test(text[i - 1] ?? ' ')) {
      const m = text.slice(i).match(/^b?r(#*)"/);
      const end = `"${m[1]}`;
      const close = text.indexOf(end, i + m[0].length);
      i = close < 0 ? text.length : close + end.length;
      stripped += '""';
    } else if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      stripped += '""';
    } else if (text[i] === "'" && /^'(?:\\.[^']*|[^\\'])'/.test(text.slice(i))) {
      i += text.slice(i).match(/^'(?:\\.[^']*|[^\\'])'/)[0].length;
      stripped += "' '";
    } else {
      stripped += text[i++];
    }
  }
  // Drop each `#[cfg(test)] mod name { … }` by counting braces.
  let out = '';
  let i = 0;
  const marker = /#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{/g;
  for (let m = marker.exec(stripped); m; m = marker.exec(stripped)) {
    out += stripped.slice(i, m.index);
    let depth = 1;
    let j = m.index + m[0].length;
    while (j < stripped.length && depth > 0) {
      if (stripped[j] === '{') depth++;
      else if (stripped[j] === '}') depth--;
      j++;
    }
    i = j;
    marker.lastIndex = j;
  }
  return out + stripped.slice(i);
}

/** The names a `use crate::{a, b::c, …}` group or a path `crate::a` starts with. */
function named(text, prefix) {
  const names = new Set();
  const path = new RegExp(`\\b${prefix}::([a-z_][a-z0-9_]*)`, 'g');
  for (const m of text.matchAll(path)) names.add(m[1]);
  const group = new RegExp(`\\b${prefix}::\\{`, 'g');
  for (const m of text.matchAll(group)) {
    let depth = 1;
    let j = m.index + m[0].length;
    let top = '';
    while (j < text.length && depth > 0) {
      const c = text[j];
      if (c === '{') depth++;
      if (c === '}') depth--;
      if (depth === 1 && c !== '{') top += c === ',' ? '\n' : c;
      else if (depth === 2 && c === '{') top += ' ';
      j++;
    }
    for (const item of top.split('\n')) {
      const head = item.trim().match(/^([a-z_][a-z0-9_]*)/);
      if (head && head[1] !== 'self') names.add(head[1]);
    }
  }
  return names;
}

/** The module graph of the crate whose sources are in `src`. */
function graph(src) {
  const modules = new Map();
  for (const file of files(src)) {
    const parts = relative(src, file).split(sep);
    const module = parts.length === 1 ? parts[0].replace(/\.rs$/, '') : parts[0];
    if (module === 'main' || module === 'lib') continue;
    const text = code(readFileSync(file, 'utf8'));
    const deps = named(text, 'crate');
    if (parts.length === 1) for (const n of named(text, 'super')) deps.add(n);
    const known = modules.get(module) ?? new Set();
    for (const d of deps) if (d !== module) known.add(d);
    modules.set(module, known);
  }
  for (const deps of modules.values()) for (const d of [...deps]) if (!modules.has(d)) deps.delete(d);
  return modules;
}

/** Tarjan's strongly connected components with more than one module. */
function cycles(modules) {
  let index = 0;
  const [order, low, onStack, stack, found] = [new Map(), new Map(), new Set(), [], []];
  const visit = (v) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of modules.get(v)) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), order.get(w)));
      }
    }
    if (low.get(v) === order.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...modules.keys()].sort()) if (!order.has(v)) visit(v);
  return found;
}

let bad = false;
for (const src of roots) {
  const modules = graph(src);
  if (showGraph) {
    for (const [m, deps] of [...modules].sort()) console.log(`${src}: ${m} -> ${[...deps].sort().join(', ')}`);
  }
  const found = cycles(modules);
  for (const c of found) console.log(`${src}: import cycle among ${c.join(', ')}`);
  if (found.length === 0) console.log(`${src}: ${modules.size} modules, no import cycle`);
  bad ||= found.length > 0;
}
process.exit(bad ? 1 : 0);
