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

/** Web-app hosts whose URLs the Company and Project pickers accept, per environment. */
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
