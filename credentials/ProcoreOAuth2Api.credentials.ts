import type { ICredentialTestRequest, ICredentialType, IDataObject, INodeProperties, Icon } from 'n8n-workflow';

import { hostExpression } from '../nodes/Procore/transport/environments';

export class ProcoreOAuth2Api implements ICredentialType {
	name = 'procoreOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Procore OAuth2 API';

	icon: Icon = { light: 'file:procore.svg', dark: 'file:procore.dark.svg' };

	documentationUrl = 'https://developers.procore.com/documentation/oauth-introduction';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{
					name: 'Production',
					value: 'production',
					description: 'login.procore.com and api.procore.com, with your production app keys',
				},
				{
					name: 'Developer Sandbox',
					value: 'sandbox',
					description:
						"login-sandbox.procore.com and sandbox.procore.com, with your app's sandbox keys",
				},
				{
					name: 'Monthly Sandbox',
					value: 'monthlySandbox',
					description:
						'login-sandbox-monthly.procore.com and api-monthly.procore.com, with your production app keys',
				},
				{
					name: 'Federal Zone (FedRAMP)',
					value: 'federal',
					description: 'login.procoregov.com and api.procoregov.com, with your Federal app keys',
				},
				{
					name: 'Custom',
					value: 'custom',
					description: 'Type the login and API hosts yourself: a new region, a proxy or a local test server',
				},
			],
			default: 'production',
			description:
				'Where your Procore company lives. The app keys, the login host and the API host must all belong to the same environment.',
		},
		{
			displayName: 'Login Host',
			name: 'loginHost',
			type: 'string',
			default: 'https://login.procore.com',
			placeholder: 'https://login.procore.com',
			required: true,
			displayOptions: { show: { environment: ['custom'] } },
			description:
				'Base URL of the OAuth server, without a path. Use HTTPS; plain HTTP is accepted only for a server on this machine (127.0.0.1, localhost), such as a test emulator.',
		},
		{
			displayName: 'API Host',
			name: 'apiHost',
			type: 'string',
			default: 'https://api.procore.com',
			placeholder: 'https://api.procore.com',
			required: true,
			displayOptions: { show: { environment: ['custom'] } },
			description:
				'Base URL of the REST API, without a path. Use HTTPS; plain HTTP is accepted only for a server on this machine (127.0.0.1, localhost), such as a test emulator.',
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			options: [
				{
					name: 'Authorization Code (Act as a Procore User)',
					value: 'authorizationCode',
				},
				{
					name: 'Client Credentials (Developer Managed Service Account)',
					value: 'clientCredentials',
				},
			],
			default: 'authorizationCode',
			description:
				"Authorization Code signs in as a Procore user, with that user's permissions. Client Credentials uses your app's service account, which sees the projects a company admin permitted when installing the app.",
		},
		{
			displayName:
				'In Procore\'s Developer Portal open My Apps → your app → OAuth Credentials (Sandbox or Production, matching the Environment) for the Client ID and Secret. For Authorization Code, add the OAuth Redirect URL n8n shows on this page to the app\'s Redirect URIs, exactly. The app must be installed in your company (App Management).',
			name: 'portalNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: "Your app's Client ID from the Developer Portal's OAuth Credentials section",
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "Your app's Client Secret from the same section. It is sent only to the login host.",
		},
		{
			displayName: 'Company ID',
			name: 'companyId',
			type: 'string',
			default: '',
			placeholder: '1234567',
			description:
				'Needed for Client Credentials (Procore wants the Procore-Company-Id header even to identify a service account); optional for Authorization Code. Find it in the Procore web URL: https://app.procore.com/&lt;company ID&gt;/company/home.',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{${hostExpression('loginHost')}}}/oauth/authorize`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{${hostExpression('loginHost')}}}/oauth/token`,
		},
		{
			// Procore has no OAuth scopes: access follows the user's or service account's permissions.
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			// Procore documents the client id and secret in the token request body only.
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{${hostExpression('apiHost', '$credentials')}}}`,
			url: '/rest/v1.0/me',
			// The header goes only when a Company ID is set: Procore answers an empty one like a
			// missing one (docs/procore-api.md §2), and a user's /me needs none.
			headers:
				'={{ String($credentials.companyId || "").trim() ? { "Procore-Company-Id": String($credentials.companyId).trim() } : {} }}' as unknown as IDataObject,
		},
	};
}
