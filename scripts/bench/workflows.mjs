// The workflows the bench runs: this node, and what a capable user builds from n8n's HTTP Request
// node (scripts/bench/bench.mjs runs them through `n8n execute`, scripts/bench/warm.mjs through a
// running n8n). Every workflow starts at a node named "Start": a manual trigger here, a Webhook for
// the running n8n (withStart).
import * as lib from '../n8n/lib.mjs';

export const MANUAL_START = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
const trigger = MANUAL_START;
/** Read Files from Disk: every .jpg of the folder, one item each. */
export const readPhotosNode = (dir) => ({ id: 'r', name: 'Read photos', type: 'n8n-nodes-base.readWriteFile', typeVersion: 1.1, position: [200, 0], parameters: { fileSelector: `${dir}/*.jpg`, options: {} } });
const read = readPhotosNode;
const chain = (...names) =>
	Object.fromEntries(names.slice(0, -1).map((name, index) => [name, { main: [[{ node: names[index + 1], type: 'main', index: 0 }]] }]));
/** A workflow of these nodes, each connected to the next. */
export const linearWorkflow = (id, nodes) => ({ id, name: id, nodes, connections: chain(...nodes.map((node) => node.name)), settings: { executionOrder: 'v1' } });
export const PROCORE_CREDENTIAL = { procoreOAuth2Api: { id: 'procoreEmulator1', name: 'Procore (local emulator)' } };
export const GENERIC_CREDENTIAL = { oAuth2Api: { id: 'genericOAuth2', name: 'Procore via generic OAuth2' } };

/** This node; `parallelUploads` undefined = the node's default. */
export function ourWorkflow(id, dir, parallelUploads, uploadMethod = 'direct') {
	return linearWorkflow(id, [
		trigger,
		read(dir),
		{
			id: 'p',
			name: 'Procore',
			type: lib.NODE_TYPE,
			typeVersion: 1,
			position: [400, 0],
			parameters: {
				resource: 'image',
				operation: 'create',
				companyId: { __rl: true, mode: 'id', value: '1001' },
				projectId: { __rl: true, mode: 'id', value: '2001' },
				uploadMethod,
				binaryPropertyName: 'data',
				albumId: { __rl: true, mode: 'id', value: '5002' },
				additionalFields: {},
				advancedOptions: { ...(parallelUploads ? { parallelUploads } : {}), maxWaitSeconds: 600 },
			},
			credentials: PROCORE_CREDENTIAL,
		},
	]);
}

export function httpNode(name, position, parameters, withAuth = true) {
	return {
		id: name,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position,
		parameters: {
			...(withAuth ? { authentication: 'genericCredentialType', genericAuthType: 'oAuth2Api' } : {}),
			...parameters,
			...(withAuth
				? { sendHeaders: true, headerParameters: { parameters: [{ name: 'Procore-Company-Id', value: '1001' }] } }
				: {}),
		},
		...(withAuth ? { credentials: GENERIC_CREDENTIAL } : {}),
	};
}

/** The three-request direct upload a capable user wires with HTTP Request and Merge nodes. */
export function builtInDirectWorkflow(id, dir, apiUrl) {
	// Storage wants every field Procore returned; the HTTP Request node can only list fixed names,
	// so the user types the documented ones (docs/procore-api.md §7).
	const fields = ['key', 'Content-Type', 'Content-Disposition', 'policy', 'x-amz-credential', 'x-amz-algorithm', 'x-amz-date', 'x-amz-signature'];
	return {
		id,
		name: id,
		nodes: [
			trigger,
			read(dir),
			httpNode('Create upload', [400, 100], {
				method: 'POST',
				url: `${apiUrl}/rest/v1.0/projects/2001/uploads`,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: '={{ JSON.stringify({ response_filename: $binary.data.fileName }) }}',
				options: {},
			}),
			{ id: 'm', name: 'Merge', type: 'n8n-nodes-base.merge', typeVersion: 3.2, position: [600, 0], parameters: { mode: 'combine', combineBy: 'combineByPosition', options: {} } },
			httpNode(
				'Send to storage',
				[800, 0],
				{
					method: 'POST',
					url: '={{ $json.url }}',
					sendBody: true,
					contentType: 'multipart-form-data',
					bodyParameters: {
						parameters: [
							...fields.map((name) => ({ name, value: `={{ $json.fields["${name}"] }}` })),
							{ parameterType: 'formBinaryData', name: 'file', inputDataFieldName: 'data' },
						],
					},
					options: {},
				},
				false,
			),
			httpNode('Create image', [1000, 0], {
				method: 'POST',
				url: `${apiUrl}/rest/v1.0/images?project_id=2001`,
				sendBody: true,
				specifyBody: 'json',
				jsonBody: "={{ JSON.stringify({ upload_uuid: $('Merge').item.json.uuid, image_name: $('Merge').item.binary.data.fileName, image: { image_category_id: 5002 } }) }}",
				options: {},
			}),
		],
		connections: {
			Start: { main: [[{ node: 'Read photos', type: 'main', index: 0 }]] },
			'Read photos': { main: [[{ node: 'Create upload', type: 'main', index: 0 }, { node: 'Merge', type: 'main', index: 0 }]] },
			'Create upload': { main: [[{ node: 'Merge', type: 'main', index: 1 }]] },
			...chain('Merge', 'Send to storage', 'Create image'),
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The legacy one-request multipart upload with HTTP Request. */
export function builtInInlineWorkflow(id, dir, apiUrl) {
	return linearWorkflow(id, [
		trigger,
		read(dir),
		httpNode('Create image', [400, 0], {
			method: 'POST',
			url: `${apiUrl}/rest/v1.0/images?project_id=2001`,
			sendBody: true,
			contentType: 'multipart-form-data',
			bodyParameters: {
				parameters: [
					{ name: 'image[image_category_id]', value: '5002' },
					{ parameterType: 'formBinaryData', name: 'image[data]', inputDataFieldName: 'data' },
				],
			},
			options: {},
		}),
	]);
}

/** Reading the file and doing nothing with it: n8n's own memory for the same file. */
export function readOnlyWorkflow(id, dir) {
	return linearWorkflow(id, [trigger, read(dir), { id: 'n', name: 'Nothing', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [400, 0], parameters: {} }]);
}

/** The same workflow started by another node (named "Start" too, so the connections still hold). */
export function withStart(workflow, start) {
	return { ...workflow, nodes: workflow.nodes.map((node) => (node.name === 'Start' ? { ...start, name: 'Start' } : node)) };
}

/** The credentials the workflows name: this node's, and a generic OAuth2 one for HTTP Request. */
export function benchCredentials(emu) {
	return [
		lib.emulatorCredential(emu),
		{
			id: 'genericOAuth2',
			name: 'Procore via generic OAuth2',
			type: 'oAuth2Api',
			data: { grantType: 'clientCredentials', accessTokenUrl: `${emu.loginUrl}/oauth/token`, clientId: emu.clientId, clientSecret: emu.clientSecret, scope: '', authentication: 'body' },
		},
	];
}
