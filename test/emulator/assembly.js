// @ts-check
'use strict';

/**
 * Whole-file SHA-256 of a segmented upload without keeping it in memory. Segments that arrive in
 * order are hashed as they stream in; a segment that arrives early (parallel PUTs) is spilled to a
 * temporary file and hashed once the segments before it are in.
 */

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** @type {WeakMap<object, Assembly>} */
const assemblies = new WeakMap();

class Assembly {
	/** @param {any} emu @param {number} count */
	constructor(emu, count) {
		this.emu = emu;
		this.count = count;
		this.hash = crypto.createHash('sha256');
		this.size = 0;
		this.next = 0;
		/** @type {Map<number, { file: string, size: number }>} */
		this.spilled = new Map();
		/** @type {Promise<void>} */
		this.chain = Promise.resolve();
	}

	/**
	 * Starts receiving segment `index`. Call write() per chunk, then commit() once the segment
	 * checked out, or abort() when it failed.
	 * @param {number} index
	 */
	begin(index) {
		if (index < this.next || this.spilled.has(index)) return { write() {}, commit: async () => {}, abort() {} };
		if (index === this.next) {
			const hash = this.hash.copy();
			let size = 0;
			return {
				/** @param {Buffer} c */
				write: (c) => {
					hash.update(c);
					size += c.length;
				},
				commit: async () => {
					if (this.next !== index) return;
					this.hash = hash;
					this.size += size;
					this.next++;
					this.drain();
					await this.chain;
				},
				abort() {},
			};
		}
		const file = path.join(tmpDir(this.emu), `${crypto.randomBytes(8).toString('hex')}.part`);
		const out = fs.createWriteStream(file);
		let size = 0;
		return {
			/** @param {Buffer} c */
			write: (c) => {
				size += c.length;
				out.write(c);
			},
			commit: async () => {
				await new Promise((resolve, reject) => out.end((/** @type {any} */ e) => (e ? reject(e) : resolve(undefined))));
				if (index < this.next || this.spilled.has(index)) return void fs.rm(file, { force: true }, () => {});
				this.spilled.set(index, { file, size });
				this.drain();
				await this.chain;
			},
			abort: () => {
				out.destroy();
				fs.rm(file, { force: true }, () => {});
			},
		};
	}

	drain() {
		this.chain = this.chain.then(async () => {
			for (let part = this.spilled.get(this.next); part; part = this.spilled.get(this.next)) {
				this.spilled.delete(this.next);
				for await (const chunk of fs.createReadStream(part.file)) this.hash.update(chunk);
				this.size += part.size;
				this.next++;
				await fs.promises.rm(part.file, { force: true });
			}
		});
	}

	/** Size and SHA-256 of the whole file, once every segment is in. */
	async finish() {
		await this.chain;
		if (this.next !== this.count) return null;
		return { size: this.size, sha256: this.hash.copy().digest('hex') };
	}
}

/** @param {any} emu @param {{ segments: any[] }} upload */
function assemblyFor(emu, upload) {
	let a = assemblies.get(upload);
	if (!a) {
		a = new Assembly(emu, upload.segments.length);
		assemblies.set(upload, a);
	}
	return a;
}

/** @param {any} emu */
function tmpDir(emu) {
	if (!emu.tmpDir) emu.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'procore-emulator-'));
	return emu.tmpDir;
}

module.exports = { assemblyFor };
