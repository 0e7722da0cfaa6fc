/**
 * n8n checks parameter values against their `validation` regexes in a `vm` sandbox with a 250 ms
 * wall-clock limit (n8n-workflow's safe-regex). On a 2-core machine running several Jest workers,
 * a sandbox can wait longer than that for the CPU, and the check fails with "Regular expression
 * execution timed out" although the regex is trivial. The tests keep n8n's sandboxed engine and
 * its semantics, with a limit that only a runaway regex reaches.
 */
import * as vm from 'vm';
import { setSafeRegexEngine } from 'n8n-workflow';

type Engine = Parameters<typeof setSafeRegexEngine>[0];

const TEST_REGEX_TIMEOUT_MS = 10_000;

function sandboxedEngine(): Engine {
	const context = vm.createContext({ pattern: '', flags: '', input: '', replacement: '', result: undefined as unknown });
	const run = (code: string, values: Record<string, unknown>) => {
		Object.assign(context, values, { result: undefined });
		new vm.Script(code).runInContext(context, { timeout: TEST_REGEX_TIMEOUT_MS });
		return context.result;
	};
	const withGlobal = (flags = '') => (flags.includes('g') ? flags : `${flags}g`);
	return {
		exec: (pattern, input, flags) => run('result = new RegExp(pattern, flags).exec(input)', { pattern, input, flags: flags ?? '' }),
		test: (pattern, input, flags) => run('result = new RegExp(pattern, flags).test(input)', { pattern, input, flags: flags ?? '' }),
		replace: (pattern, input, flags, replacement) =>
			run('result = input.replace(new RegExp(pattern, flags), replacement)', { pattern, input, flags: flags ?? '', replacement }),
		matchAll: (pattern, input, flags) =>
			run('result = Array.from(input.matchAll(new RegExp(pattern, flags)))', { pattern, input, flags: withGlobal(flags) }),
		split: (pattern, input, flags) => run('result = input.split(new RegExp(pattern, flags))', { pattern, input, flags: flags ?? '' }),
	} as Engine;
}

setSafeRegexEngine(sandboxedEngine());
