import { expectNoEmulatorErrors, useEmulator } from './fixtures';

const emu = useEmulator();

describe('the emulator fixture', () => {
	test('an exception inside the emulator fails the test, though the node only saw a 500', async () => {
		const take = emu.faults.take;
		emu.faults.take = () => {
			throw new Error('a bug in the emulator');
		};
		try {
			const response = await fetch(`${emu.apiUrl}/rest/v1.0/me`);
			expect(response.status).toBe(500);
		} finally {
			emu.faults.take = take;
		}
		expect(() => expectNoEmulatorErrors(emu)).toThrow(/The emulator itself threw 1 time\(s\) during this test:\nError: a bug in the emulator/);
		// The check empties the list, so this test's own afterEach check passes.
		expect(emu.errors).toEqual([]);
	});

	test('each test starts with an empty request log', async () => {
		expect(emu.requests).toEqual([]);
		await fetch(`${emu.apiUrl}/rest/v1.0/me`);
		expect(emu.requests).toHaveLength(1);
	});

	test('… also after a test that sent requests', () => {
		expect(emu.requests).toEqual([]);
	});
});
