import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialType,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeProperties,
	Workflow,
} from 'n8n-workflow';
import { ICredentialsHelper } from 'n8n-workflow';

/**
 * n8n's base OAuth2 credential type, which ours `extends`. n8n-nodes-base is not installed here, so
 * its fields that n8n-core's OAuth2 code reads are declared with n8n's defaults.
 */
export const OAUTH2_BASE: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	properties: [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{ displayName: 'Authorization URL', name: 'authUrl', type: 'string', default: '' },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'string', default: '' },
		{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
		{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', default: '' },
		{ displayName: 'Scope', name: 'scope', type: 'string', default: '' },
		{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'string', default: '' },
		{ displayName: 'Authentication', name: 'authentication', type: 'options', options: [], default: 'header' },
		{ displayName: 'Ignore SSL Issues', name: 'ignoreSSLIssues', type: 'boolean', default: false },
	],
};

/**
 * A credentials helper like n8n's own: it holds credential data, applies the type's defaults
 * (through its `extends` chain), resolves expression defaults such as the OAuth URLs, and stores
 * token updates so that later requests, and tests, see them.
 */
export class TestCredentialsHelper extends ICredentialsHelper {
	workflow?: Workflow;

	/** Every oauthTokenData n8n-core saved, in order. */
	readonly tokenUpdates: ICredentialDataDecryptedObject[] = [];

	private readonly types = new Map<string, ICredentialType>();

	constructor(
		credentialTypes: ICredentialType[],
		private readonly stored: Record<string, ICredentialDataDecryptedObject>,
	) {
		super();
		for (const type of [OAUTH2_BASE, ...credentialTypes]) this.types.set(type.name, type);
	}

	stateOf(type: string): ICredentialDataDecryptedObject {
		return this.stored[type];
	}

	getParentTypes(name: string): string[] {
		const parents = this.types.get(name)?.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		const own = this.types.get(type);
		if (!own) throw new Error(`Unknown credential type ${type}`);
		const inherited = (own.extends ?? []).flatMap((parent) => this.getCredentialsProperties(parent));
		const byName = new Map<string, INodeProperties>();
		for (const property of [...inherited, ...own.properties]) byName.set(property.name, property);
		return [...byName.values()];
	}

	async authenticate(_credentials: ICredentialDataDecryptedObject, _type: string, request: IHttpRequestOptions) {
		return request;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by these tests');
	}

	/** What n8n hands a node: stored values over defaults, hidden fields from the type, expressions resolved. */
	resolve(type: string): ICredentialDataDecryptedObject {
		const data = this.stored[type];
		if (!data) throw new Error(`No credentials of type ${type} in this test`);
		const properties = this.getCredentialsProperties(type);
		const merged: ICredentialDataDecryptedObject = { ...data };
		for (const property of properties) {
			// n8n pins hidden fields (the OAuth URLs among them) to the type's value.
			if (property.type === 'hidden' || merged[property.name] === undefined) {
				merged[property.name] = property.default as never;
			}
		}
		const workflow = this.workflow;
		if (!workflow) throw new Error('The credentials helper has no workflow');
		const node = Object.values(workflow.nodes)[0] as INode;
		const resolved: ICredentialDataDecryptedObject = {};
		for (const [key, value] of Object.entries(merged)) {
			resolved[key] =
				typeof value === 'string' && value.startsWith('=')
					? (workflow.expression.getComplexParameterValue(node, value, 'internal', {}, undefined, undefined, merged) as never)
					: value;
		}
		return resolved;
	}

	async getDecrypted(
		_additionalData: unknown,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		return this.resolve(type);
	}

	async updateCredentials(_node: INodeCredentialsDetails, type: string, data: ICredentialDataDecryptedObject) {
		this.stored[type] = { ...this.stored[type], ...data };
	}

	async updateCredentialsOauthTokenData(
		_node: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	) {
		this.tokenUpdates.push(data.oauthTokenData as ICredentialDataDecryptedObject);
		this.stored[type] = { ...this.stored[type], oauthTokenData: data.oauthTokenData };
	}
}
