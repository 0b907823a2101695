/**
 * Builds the guest image ahead of time: `node dist/test/lib/guest/build.js`.
 * Tests build it on demand anyway; this is for CI warm-up and for seeing what went in.
 */

import { ensureGuestImage, guestUnavailableReason } from './image.js';

const reason = guestUnavailableReason();
if (reason) {
  console.error(`guest image: cannot build: ${reason}`);
  process.exit(1);
}
const started = performance.now();
const image = ensureGuestImage();
const ms = Math.round(performance.now() - started);
console.log(`kernel     ${image.kernel.version} (${image.kernel.bzImagePath})`);
console.log(`vmlinux    ${image.vmlinuxPath}`);
console.log(`initramfs  ${image.initramfsPath}`);
console.log(`modules    ${image.modules.join(' ')}`);
console.log(`${image.cached ? 'cached' : 'built'} in ${ms} ms`);
