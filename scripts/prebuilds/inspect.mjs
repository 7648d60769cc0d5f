// Reads a prebuilt addon of any format without loading it: ELF (Linux), PE (Windows), Mach-O
// (macOS). The architecture and the security flags come from the headers, read here; the
// libraries it imports and the symbols it exports come from llvm-objdump (llvm-16), which reads
// all three formats for every architecture. For Mach-O, the ad-hoc code signature is verified:
// every page hash in its CodeDirectory is recomputed with node:crypto.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findTool } from './toolchain.mjs';

const ELF_MACHINES = { 62: 'x86_64', 183: 'aarch64' };
const PE_MACHINES = { 0x8664: 'x86_64', 0xaa64: 'arm64' };
const MACHO_CPUS = { 0x01000007: 'x86_64', 0x0100000c: 'arm64' };

function objdump(args, file) {
  const tool = findTool(['llvm-objdump-16', 'llvm-objdump']);
  if (!tool) throw new Error('llvm-objdump is missing (apt-get install llvm-16)');
  return execFileSync(tool, [...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

function formatOf(buf) {
  if (buf.readUInt32BE(0) === 0x7f454c46) return 'elf';
  if (buf.readUInt16LE(0) === 0x5a4d) return 'pe';
  if (buf.readUInt32LE(0) === 0xfeedfacf) return 'macho';
  if (buf.readUInt32BE(0) === 0xcafebabe) return 'macho-universal';
  return 'unknown';
}

function inspectElf(file, buf) {
  const headers = objdump(['-p'], file);
  const sections = objdump(['-h'], file);
  const dynsyms = objdump(['-T'], file);
  return {
    arch: ELF_MACHINES[buf.readUInt16LE(18)] ?? `machine ${buf.readUInt16LE(18)}`,
    imports: [...headers.matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]),
    // Defined (section other than *UND*), global, in the dynamic symbol table.
    exports: dynsyms
      .split('\n')
      .filter((l) => / g /.test(l) && !/\*UND\*/.test(l))
      .map((l) => l.trim().split(/\s+/).pop()),
    versions: dynsyms,
    stripped: !/\s\.symtab\s/.test(sections) && !/\s\.debug_/.test(sections),
  };
}

function inspectPe(file, buf) {
  const pe = buf.readUInt32LE(0x3c);
  const opt = pe + 24;
  const headers = objdump(['-p'], file);
  const sections = objdump(['-h'], file);
  return {
    arch: PE_MACHINES[buf.readUInt16LE(pe + 4)] ?? `machine 0x${buf.readUInt16LE(pe + 4).toString(16)}`,
    imports: [...headers.matchAll(/DLL Name:\s+(\S+)/g)].map((m) => m[1]),
    exports: [...headers.matchAll(/^\s+\d+\s+0x[0-9a-f]+\s+(\S+)$/gim)].map((m) => m[1]),
    // PE32+ optional header: DllCharacteristics at offset 70.
    dllCharacteristics: buf.readUInt16LE(opt + 70),
    // COFF symbol table pointer (PointerToSymbolTable) is 0 once stripped; no .debug sections.
    stripped: buf.readUInt32LE(pe + 12) === 0 && !/\s\.debug/.test(sections),
  };
}

/** The ad-hoc signature: present, ad hoc, and every page hash right. Returns why not, or ''. */
function verifyCodeSignature(buf) {
  const ncmds = buf.readUInt32LE(16);
  let off = 32;
  let sig;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    if (cmd === 0x1d) sig = { dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
    off += buf.readUInt32LE(off + 4);
  }
  if (!sig) return 'no LC_CODE_SIGNATURE';
  const blob = buf.subarray(sig.dataoff, sig.dataoff + sig.datasize);
  if (blob.readUInt32BE(0) !== 0xfade0cc0) return 'the signature is not an embedded SuperBlob';
  const count = blob.readUInt32BE(8);
  for (let i = 0; i < count; i++) {
    const type = blob.readUInt32BE(12 + i * 8);
    const at = blob.readUInt32BE(16 + i * 8);
    if (type !== 0) continue; // CSSLOT_CODEDIRECTORY
    const cd = blob.subarray(at);
    if (cd.readUInt32BE(0) !== 0xfade0c02) return 'slot 0 is not a CodeDirectory';
    const flags = cd.readUInt32BE(12);
    const hashOffset = cd.readUInt32BE(16);
    const nCodeSlots = cd.readUInt32BE(28);
    const codeLimit = cd.readUInt32BE(32);
    const hashSize = cd.readUInt8(36);
    const hashType = cd.readUInt8(37);
    const pageSize = 2 ** cd.readUInt8(39);
    if (!(flags & 0x2)) return 'not an ad-hoc signature (CS_ADHOC unset)';
    if (hashType !== 2 || hashSize !== 32) return `hash type ${hashType}, not SHA-256`;
    if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) return 'code slots do not cover the file';
    if (codeLimit !== sig.dataoff) return `the signature covers ${codeLimit} bytes, not ${sig.dataoff}`;
    for (let p = 0; p < nCodeSlots; p++) {
      const page = buf.subarray(p * pageSize, Math.min((p + 1) * pageSize, codeLimit));
      const want = cd.subarray(hashOffset + p * hashSize, hashOffset + (p + 1) * hashSize);
      if (!createHash('sha256').update(page).digest().equals(want)) return `page ${p} hash differs`;
    }
    return '';
  }
  return 'no CodeDirectory in the signature';
}

function inspectMachO(file, buf) {
  const dylibs = objdump(['--macho', '--dylibs-used'], file)
    .split('\n')
    .slice(1)
    .map((l) => l.trim().replace(/ \(compatibility version.*$/, ''))
    .filter(Boolean);
  const id = objdump(['--macho', '--dylib-id'], file).split('\n')[1]?.trim();
  const exportsTrie = objdump(['--macho', '--exports-trie'], file);
  const headers = objdump(['--macho', '--private-headers'], file);
  const dysym = /cmd LC_DYSYMTAB[\s\S]*?nlocalsym (\d+)/.exec(headers);
  const minos = /cmd LC_BUILD_VERSION[\s\S]*?minos ([\d.]+)/.exec(headers);
  return {
    arch: MACHO_CPUS[buf.readUInt32LE(4)] ?? `cputype 0x${buf.readUInt32LE(4).toString(16)}`,
    imports: dylibs.filter((d) => d !== id),
    exports: [...exportsTrie.matchAll(/0x[0-9A-F]+\s+_(\S+)/g)].map((m) => m[1]),
    minos: minos?.[1],
    stripped: Boolean(dysym) && dysym[1] === '0' && !/segname __DWARF/.test(headers),
    signature: verifyCodeSignature(buf),
  };
}

/** What a prebuilt file is: { format, arch, imports, exports, stripped, bytes, ... }. */
export function inspect(file) {
  const buf = readFileSync(file);
  const format = formatOf(buf);
  const parsed =
    format === 'elf'
      ? inspectElf(file, buf)
      : format === 'pe'
        ? inspectPe(file, buf)
        : format === 'macho'
          ? inspectMachO(file, buf)
          : {};
  return { format, bytes: buf.length, ...parsed };
}
