/**
 * Works out which kernel modules the guest needs and in which order to `insmod` them.
 *
 * busybox's insmod does no dependency resolution, so we do what modprobe would: read
 * `modules.dep` for the kernel we boot and order the closure of our root modules so every module
 * comes after the modules it depends on. Reading the real file (rather than hard-coding a list)
 * keeps us right when the distribution kernel is updated and, say, gains or loses `netfs`.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleNameOf } from './kernel.js';

/**
 * What the guest needs: a PCI virtio NIC and the NFSv3 client. The dependencies (sunrpc, lockd,
 * nfs_acl, failover, ...) come from modules.dep.
 */
export const ROOT_MODULES = ['virtio_pci', 'virtio_net', 'nfsv3'];

export interface ModuleFile {
  name: string;
  /** Path relative to the kernel's modules directory, as modules.dep spells it. */
  relativePath: string;
}

/** Parses modules.dep into name → (path, dependency paths). */
function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const byName = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    byName.set(moduleNameOf(path), { path, deps });
  }
  return byName;
}

/**
 * Returns the modules to load, dependencies first. Modules built into the kernel do not appear in
 * modules.dep; those roots are skipped (there is nothing to load), which is what modprobe does too.
 */
export function resolveModuleLoadOrder(modulesDir: string, roots: string[] = ROOT_MODULES): ModuleFile[] {
  const dep = parseModulesDep(readFileSync(join(modulesDir, 'modules.dep'), 'utf8'));
  const builtin = new Set(
    readFileSync(join(modulesDir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean).map(moduleNameOf),
  );
  const ordered: ModuleFile[] = [];
  const visited = new Set<string>();
  const visit = (name: string, chain: string[]): void => {
    if (visited.has(name)) return;
    const entry = dep.get(name);
    if (!entry) {
      if (builtin.has(name)) return;
      throw new Error(`kernel module ${name} (needed by ${chain.join(' → ') || 'the guest'}) is not in modules.dep`);
    }
    visited.add(name);
    for (const depPath of entry.deps) visit(moduleNameOf(depPath), [...chain, name]);
    ordered.push({ name, relativePath: entry.path });
  };
  for (const root of roots) visit(root.replace(/-/g, '_'), []);
  return ordered;
}
