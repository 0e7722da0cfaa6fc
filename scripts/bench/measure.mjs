// What every bench measures with: medians, and a process's peak memory.
import { readFileSync } from 'node:fs';


/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A process's peak resident memory so far (its VmHWM), in MB; undefined once it has gone. */
export function peakRss(pid) {
	try {
		return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024;
	} catch {
		return undefined;
	}
}
