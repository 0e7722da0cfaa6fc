/**
 * Procore's environments and their hosts (docs/procore-api.md §1.1). The credential builds its OAuth
 * URLs from this table and the node builds every API URL from it, so the two can never disagree.
 */
export type ProcoreEnvironment = 'production' | 'sandbox' | 'monthlySandbox' | 'federal' | 'custom';

export interface ProcoreHosts {
	loginHost: string;
	apiHost: string;
}

export const PROCORE_ENVIRONMENTS: Record<Exclude<ProcoreEnvironment, 'custom'>, ProcoreHosts & { name: string }> = {
	production: {
		name: 'Production',
		loginHost: 'https://login.procore.com',
		apiHost: 'https://api.procore.com',
	},
	sandbox: {
		name: 'Developer Sandbox',
		loginHost: 'https://login-sandbox.procore.com',
		apiHost: 'https://sandbox.procore.com',
	},
	monthlySandbox: {
		name: 'Monthly Sandbox',
		loginHost: 'https://login-sandbox-monthly.procore.com',
		apiHost: 'https://api-monthly.procore.com',
	},
	federal: {
		name: 'Federal Zone (FedRAMP)',
		loginHost: 'https://login.procoregov.com',
		apiHost: 'https://api.procoregov.com',
	},
};

/**
 * Web-app hosts whose URLs the pickers accept, per environment. Production's web app also runs on
 * regional hosts such as us02.procore.com and uk01.procore.com, with more to come (Procore's
 * "Building Side Panel Apps" page, docs/procore-api.md §11 "Web hosts and regions"): a region is two
 * letters and two digits, directly under procore.com.
 */
export const REGIONAL_WEB_HOSTS: Partial<Record<ProcoreEnvironment, RegExp>> = {
	production: /^[a-z]{2}[0-9]{2}\.procore\.com$/,
};

/** Whether a host name is Procore's web app in this environment (for Custom: the given hosts only). */
export function isWebHostOf(environment: ProcoreEnvironment, knownHosts: string[], hostname: string): boolean {
	const host = hostname.toLowerCase();
	return knownHosts.includes(host) || REGIONAL_WEB_HOSTS[environment]?.test(host) === true;
}

/** The fixed web-app hosts of each environment; the first is the one links use by default. */
export const PROCORE_WEB_HOSTS: Record<Exclude<ProcoreEnvironment, 'custom'>, string[]> = {
	production: ['app.procore.com'],
	sandbox: ['sandbox.procore.com'],
	monthlySandbox: ['api-sandbox-monthly.procore.com', 'sandbox-monthly.procore.com'],
	federal: ['app.procoregov.com'],
};

/**
 * An n8n expression, evaluated inside the credential, that yields the environment's host.
 * Written out from the table above so a host is typed in one place only.
 */
export function hostExpression(kind: keyof ProcoreHosts, source = '$self'): string {
	const table = Object.fromEntries(
		Object.entries(PROCORE_ENVIRONMENTS).map(([key, hosts]) => [key, hosts[kind]]),
	);
	return `(${source}["environment"] === "custom" ? String(${source}["${kind}"] || "") : ${JSON.stringify(table)}[${source}["environment"]]).trim().replace(/\\/+$/, "")`;
}
