import { idValidation } from '../../nodes/Procore/actions/locator.builder';
import { companyLocator, projectLocator, runOptions } from '../../nodes/Procore/actions/common.descriptions';
import { isProcoreId, procorePath, UnsafePathSegment } from '../../nodes/Procore/transport/paths';
import { RateBudget } from '../../nodes/Procore/transport/rateLimit';
import { Procore } from '../../nodes/Procore/Procore.node';

describe('procorePath: every variable part of a URL path is an ID or an upload UUID', () => {
	test('IDs and UUIDs pass through', () => {
		expect(procorePath`/rest/v1.0/projects/${2001}/uploads/${'01J3Z8Q5K9M2X7W4V6T1R0N8PB'}`).toBe(
			'/rest/v1.0/projects/2001/uploads/01J3Z8Q5K9M2X7W4V6T1R0N8PB',
		);
		expect(procorePath`/rest/v1.0/companies/${'562949953421312'}/trades`).toBe('/rest/v1.0/companies/562949953421312/trades');
	});

	test.each(['0', '012', '12345678901234567', '1/../2', '1?x=y', '../me', 'a b', '', '%2e%2e', '1#x'])(
		'"%s" is refused',
		(segment) => {
			expect(() => procorePath`/rest/v1.0/projects/${segment}/locations`).toThrow(UnsafePathSegment);
		},
	);
});

describe('one ID rule for the editor and the runtime', () => {
	const editorRegex = new RegExp(idValidation('project')[0].properties.regex);
	test.each([
		['1', true],
		[' 2001 ', true],
		['9999999999999999', true],
		['12345678901234567', false],
		['0', false],
		['01', false],
		['12a', false],
	])('"%s" → %s in both', (value, valid) => {
		expect(editorRegex.test(value)).toBe(valid);
		expect(isProcoreId(value.trim())).toBe(valid);
	});

	test('every By ID mode of the pickers uses the shared rule', () => {
		for (const locator of [companyLocator, projectLocator]) {
			const byId = locator.modes?.find((mode) => mode.name === 'id');
			expect(byId?.validation).toEqual(idValidation(locator.displayName.toLowerCase()));
		}
	});
});

describe('run options belong to the node', () => {
	test('Parallel Items and Maximum Wait keep their saved names and are shown for every operation', () => {
		const node = new Procore();
		const options = node.description.properties.filter((property) => property.name === 'advancedOptions');
		expect(options).toEqual([runOptions]);
		expect(runOptions.displayOptions).toBeUndefined();
		const names = (runOptions.options ?? []).map((option) => option.name);
		expect(names).toEqual(expect.arrayContaining(['parallelUploads', 'maxWaitSeconds']));
	});
});

describe('picker requests go before queued batch requests', () => {
	test('an urgent request waiting behind a spent window is served before earlier batch requests', async () => {
		const budget = new RateBudget();
		const now = Date.now();
		// The window is spent for the next 300 ms.
		budget.settle({ 'x-rate-limit-limit': '25', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String((now + 300) / 1000) });
		const order: string[] = [];
		const deadline = now + 10_000;
		const batch = [1, 2, 3].map((n) => budget.acquire(deadline).then(() => order.push(`batch${n}`)));
		const urgent = budget.acquire(deadline, true).then(() => order.push('picker'));
		await Promise.all([...batch, urgent]);
		expect(order).toEqual(['picker', 'batch1', 'batch2', 'batch3']);
	});
});
