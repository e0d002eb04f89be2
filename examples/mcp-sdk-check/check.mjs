// Interoperability check: this provider against the official MCP TypeScript SDK's
// client-side OAuth (`auth()` from @modelcontextprotocol/sdk/client/auth.js).
//
// The SDK does discovery, registration, PKCE, the authorization URL and the token
// exchange; this script plays the browser (fetch + a cookie jar) in between, then calls
// the example resource server with the token. See README.md.
//
// Environment:
//   MCP_URL    the MCP server (default http://127.0.0.1:18081/mcp)
//   MCP_USERNAME (default alice)      MCP_PASSWORD (default 'correct horse battery staple')
//   VERBOSE=1  print every HTTP exchange the SDK makes

import { readFileSync } from 'node:fs';
import {
    auth,
    discoverAuthorizationServerMetadata,
    discoverOAuthProtectedResourceMetadata,
    extractWWWAuthenticateParams
} from '@modelcontextprotocol/sdk/client/auth.js';
import {
    OAuthMetadataSchema,
    OpenIdProviderDiscoveryMetadataSchema
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const SDK_VERSION = JSON.parse(readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url))).version;

const MCP_URL = process.env.MCP_URL ?? 'http://127.0.0.1:18081/mcp';
const USERNAME = process.env.MCP_USERNAME ?? 'alice';
const PASSWORD = process.env.MCP_PASSWORD ?? 'correct horse battery staple';
const VERBOSE = !!process.env.VERBOSE;

let failures = 0;
const ok = (step, detail = '') => console.log(`  OK    ${step}${detail ? ': ' + detail : ''}`);
const fail = (step, detail) => {
    failures++;
    console.log(`  FAIL  ${step}: ${detail}`);
};
const note = (text) => console.log(`  note  ${text}`);

// A fetch that logs what the SDK sends and gets (bodies of non-2xx answers in full).
function loggingFetch(label) {
    return async (url, init = {}) => {
        const method = init.method ?? 'GET';
        const res = await fetch(url, init);
        const line = `[${label}] ${method} ${url} -> ${res.status}`;
        if (!res.ok || VERBOSE) {
            const body = await res.clone().text();
            console.log(`        ${line}`);
            if (init.body && VERBOSE) console.log(`          request body: ${String(init.body)}`);
            if (body) console.log(`          response body: ${body.slice(0, 1500)}`);
            const www = res.headers.get('www-authenticate');
            if (www) console.log(`          WWW-Authenticate: ${www}`);
        } else {
            console.log(`        ${line}`);
        }
        return res;
    };
}

// The OAuthClientProvider the SDK drives: everything in memory.
class MemoryProvider {
    constructor(redirectUrl, clientMetadata) {
        this._redirectUrl = redirectUrl;
        this._clientMetadata = clientMetadata;
        this._state = crypto.randomUUID();
        this.authorizationUrl = undefined;
    }
    get redirectUrl() { return this._redirectUrl; }
    get clientMetadata() { return this._clientMetadata; }
    state() { return this._state; }
    clientInformation() { return this._clientInformation; }
    saveClientInformation(info) { this._clientInformation = info; }
    tokens() { return this._tokens; }
    saveTokens(tokens) { this._tokens = tokens; }
    redirectToAuthorization(url) { this.authorizationUrl = url; }
    saveCodeVerifier(v) { this._codeVerifier = v; }
    codeVerifier() {
        if (!this._codeVerifier) throw new Error('No code verifier saved');
        return this._codeVerifier;
    }
    saveDiscoveryState(state) { this.discovery = state; }
    discoveryState() { return this.discovery; }
    invalidateCredentials(scope) { console.log(`        (SDK invalidated credentials: ${scope})`); }
}

// ---------- the browser: fetch + cookie jar, no automatic redirects ----------

class Browser {
    constructor() { this.jar = new Map(); }
    cookieHeader() { return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '); }
    keep(res) {
        for (const c of res.headers.getSetCookie()) {
            const [pair] = c.split(';');
            const i = pair.indexOf('=');
            this.jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
        }
    }
    async request(url, init = {}) {
        const headers = new Headers(init.headers);
        if (this.jar.size) headers.set('cookie', this.cookieHeader());
        const res = await fetch(url, { ...init, headers, redirect: 'manual' });
        this.keep(res);
        console.log(`        [browser] ${init.method ?? 'GET'} ${url} -> ${res.status}`);
        return res;
    }
    // Follows redirects until one goes to `stopPrefix` (the client's redirect URI) or a page.
    async land(res, url, stopPrefix) {
        for (let i = 0; i < 10; i++) {
            if (res.status >= 300 && res.status < 400) {
                const location = new URL(res.headers.get('location'), url).href;
                if (location.startsWith(stopPrefix)) return { client: new URL(location) };
                url = location;
                res = await this.request(url);
            } else {
                return { status: res.status, url, body: await res.text() };
            }
        }
        throw new Error('too many redirects');
    }
    async open(url, stopPrefix) {
        return this.land(await this.request(url), url, stopPrefix);
    }
    async submit(page, fields, stopPrefix) {
        const { action, hidden } = parseForm(page.body);
        const target = new URL(action, page.url).href;
        const body = new URLSearchParams([...hidden, ...Object.entries(fields)]);
        const res = await this.request(target, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body
        });
        return this.land(res, target, stopPrefix);
    }
}

const decode = (s) => s
    .replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
const attrs = (tag) => {
    const out = {};
    for (const m of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
        out[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
    }
    return out;
};
function parseForm(html) {
    const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
    if (!form) throw new Error(`page has no form: ${html.slice(0, 500)}`);
    const action = attrs(form[0].match(/<form\b[^>]*>/i)[0]).action ?? '';
    const hidden = [];
    for (const m of form[1].matchAll(/<input\b[^>]*>/gi)) {
        const a = attrs(m[0]);
        if ((a.type ?? '').toLowerCase() === 'hidden' && a.name) hidden.push([a.name, a.value ?? '']);
    }
    return { action, hidden };
}

const jwtParts = (t) => {
    const [h, p] = t.split('.');
    const dec = (s) => JSON.parse(Buffer.from(s, 'base64url').toString());
    return { header: dec(h), claims: dec(p) };
};

// ---------- steps ----------

async function discovery() {
    console.log('\n== 0. unauthenticated call to the MCP server');
    const res = await fetch(MCP_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    });
    const www = extractWWWAuthenticateParams(res);
    console.log(`        POST ${MCP_URL} -> ${res.status}; WWW-Authenticate: ${res.headers.get('www-authenticate')}`);
    if (res.status === 401 && www.resourceMetadataUrl) ok('401 with resource_metadata', String(www.resourceMetadataUrl));
    else fail('401 with resource_metadata', `status ${res.status}, parsed ${JSON.stringify(www)}`);
    if (!www.scope) note('the challenge carries no scope=; the SDK then takes scopes_supported from the resource metadata');

    console.log('\n== 1. protected resource metadata (RFC 9728)');
    const prm = await discoverOAuthProtectedResourceMetadata(MCP_URL, { resourceMetadataUrl: www.resourceMetadataUrl }, loggingFetch('sdk'));
    ok('from the challenge URL', JSON.stringify(prm));
    const prm2 = await discoverOAuthProtectedResourceMetadata(MCP_URL, {}, loggingFetch('sdk'));
    ok('from the path-aware well-known URL (no hint)', prm2.resource);

    console.log('\n== 2. authorization server metadata');
    const as = prm.authorization_servers[0];
    const md = await discoverAuthorizationServerMetadata(as, { fetchFn: loggingFetch('sdk') });
    if (!md) fail('discoverAuthorizationServerMetadata', 'undefined');
    else ok('discoverAuthorizationServerMetadata (first hit wins)', `issuer ${md.issuer}`);
    // Both documents, each through the schema the SDK uses for it.
    for (const [path, schema, name] of [
        ['/.well-known/oauth-authorization-server', OAuthMetadataSchema, 'OAuthMetadataSchema'],
        ['/.well-known/openid-configuration', OpenIdProviderDiscoveryMetadataSchema, 'OpenIdProviderDiscoveryMetadataSchema']
    ]) {
        const url = new URL(path, as);
        const r = await fetch(url, { headers: { accept: 'application/json', 'MCP-Protocol-Version': '2025-11-25' } });
        const parsed = schema.safeParse(await r.json());
        if (r.ok && parsed.success) ok(`${path} parses with ${name}`, `issuer ${parsed.data.issuer}`);
        else fail(`${path} with ${name}`, `HTTP ${r.status} ${parsed.error}`);
        if (parsed.success) {
            const d = parsed.data;
            if (d.issuer !== as) fail(`${path} issuer`, `${d.issuer} != ${as}`);
            if (!d.response_types_supported.includes('code')) fail(`${path}`, 'no response_type code');
            if (!(d.code_challenge_methods_supported ?? []).includes('S256')) fail(`${path}`, 'no S256');
            if (!d.registration_endpoint) fail(`${path}`, 'no registration_endpoint');
            for (const s of prm.scopes_supported ?? []) {
                if (d.scopes_supported && !d.scopes_supported.includes(s)) {
                    note(`${path}: scopes_supported does not list the resource's scope "${s}" (the SDK does not look)`);
                }
            }
        }
    }
    // The SDK's OIDC fallback: hide the RFC 8414 document and see that discovery uses OIDC.
    const hide8414 = async (url, init) => String(url).includes('oauth-authorization-server')
        ? new Response('not found', { status: 404 })
        : loggingFetch('sdk, 8414 hidden')(url, init);
    const md2 = await discoverAuthorizationServerMetadata(as, { fetchFn: hide8414 });
    if (md2?.issuer === as) ok('OpenID discovery fallback (RFC 8414 document hidden)', `issuer ${md2.issuer}, registration ${md2.registration_endpoint}`);
    else fail('OpenID discovery fallback', JSON.stringify(md2));
    return { www, prm, md };
}

async function flow(name, { redirectUrl, clientMetadata, scope, expectRefresh }) {
    console.log(`\n== 3. flow "${name}"`);
    const provider = new MemoryProvider(redirectUrl, clientMetadata);
    const sdkFetch = loggingFetch('sdk');
    const hint = extractWWWAuthenticateParams(await fetch(MCP_URL, { method: 'POST' }));

    // auth() #1: discovery, registration, authorization URL.
    let result;
    try {
        result = await auth(provider, { serverUrl: MCP_URL, resourceMetadataUrl: hint.resourceMetadataUrl, scope, fetchFn: sdkFetch });
    } catch (e) {
        fail('auth() #1', `${e.constructor.name}: ${e.message}`);
        return;
    }
    if (result !== 'REDIRECT') return fail('auth() #1', `returned ${result}`);
    const info = provider.clientInformation();
    ok('auth() #1 registered the client', JSON.stringify(info));
    const u = provider.authorizationUrl;
    ok('auth() #1 built the authorization URL', u.href);
    for (const p of ['response_type', 'client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'state', 'scope', 'resource', 'prompt']) {
        console.log(`          ${p} = ${u.searchParams.get(p)}`);
    }

    // The browser part.
    const browser = new Browser();
    const stop = new URL(redirectUrl).origin + new URL(redirectUrl).pathname;
    let landing = await browser.open(u.href, stop);
    if (landing.client) return fail('login page', `redirected straight to the client: ${landing.client}`);
    if (landing.status !== 200 || !/name="password"/.test(landing.body)) {
        return fail('login page', `HTTP ${landing.status} at ${landing.url}: ${landing.body.slice(0, 800)}`);
    }
    ok('login page', `${landing.url.split('?')[0]} hidden fields: ${parseForm(landing.body).hidden.map(([k]) => k).join(', ')}`);
    landing = await browser.submit(landing, { username: USERNAME, password: PASSWORD }, stop);
    if (!landing.client) {
        if (landing.status !== 200 || !/name="decision"/.test(landing.body)) {
            return fail('consent page', `HTTP ${landing.status} at ${landing.url}: ${landing.body.replace(/\s+/g, ' ').slice(0, 1200)}`);
        }
        const shown = [...landing.body.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
        ok('consent page', `hidden fields: ${parseForm(landing.body).hidden.map(([k]) => k).join(', ')}; items: ${JSON.stringify(shown)}`);
        landing = await browser.submit(landing, { decision: 'allow' }, stop);
    }
    if (!landing.client) return fail('redirect to the client', `HTTP ${landing.status}: ${landing.body.slice(0, 800)}`);
    const cb = landing.client;
    ok('redirect to the loopback redirect URI', cb.href);
    if (cb.searchParams.get('error')) return fail('authorization response', cb.href);
    if (cb.searchParams.get('state') !== provider.state()) fail('state', `${cb.searchParams.get('state')} != ${provider.state()}`);
    else ok('state echoed');
    const iss = cb.searchParams.get('iss');
    if (iss === provider.discovery.authorizationServerMetadata.issuer) ok('iss (RFC 9207) matches the metadata issuer', iss);
    else fail('iss', `${iss} vs ${provider.discovery.authorizationServerMetadata.issuer}`);
    note('auth() takes only the code: it neither checks state nor iss (RFC 9207); this script did');

    // auth() #2: the code exchange.
    try {
        result = await auth(provider, { serverUrl: MCP_URL, resourceMetadataUrl: hint.resourceMetadataUrl, scope, authorizationCode: cb.searchParams.get('code'), fetchFn: sdkFetch });
    } catch (e) {
        return fail('auth() #2 (code exchange)', `${e.constructor.name}: ${e.message}`);
    }
    if (result !== 'AUTHORIZED') return fail('auth() #2', `returned ${result}`);
    const tokens = provider.tokens();
    const shown = { ...tokens, access_token: tokens.access_token.slice(0, 24) + '…', refresh_token: tokens.refresh_token && tokens.refresh_token.slice(0, 12) + '…', id_token: tokens.id_token && '(present)' };
    ok('auth() #2 exchanged the code', JSON.stringify(shown));
    const at = jwtParts(tokens.access_token);
    console.log(`          access token header: ${JSON.stringify(at.header)}`);
    console.log(`          access token claims: ${JSON.stringify(at.claims)}`);
    if (at.claims.aud !== MCP_URL && !(Array.isArray(at.claims.aud) && at.claims.aud.includes(MCP_URL))) fail('aud', `${JSON.stringify(at.claims.aud)} is not ${MCP_URL}`);
    else ok('aud is the resource');

    // The resource server.
    for (const [method, params] of [['tools/list', undefined], ['tools/call', { name: 'whoami', arguments: {} }]]) {
        const r = await fetch(MCP_URL, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 2, method, ...(params ? { params } : {}) })
        });
        const body = await r.text();
        if (r.ok) ok(`POST /mcp ${method}`, body);
        else fail(`POST /mcp ${method}`, `HTTP ${r.status} ${r.headers.get('www-authenticate') ?? ''} ${body}`);
    }

    // auth() #3 with the refresh token, if any.
    if (tokens.refresh_token) {
        try {
            result = await auth(provider, { serverUrl: MCP_URL, resourceMetadataUrl: hint.resourceMetadataUrl, scope, fetchFn: sdkFetch });
            const t2 = provider.tokens();
            if (result === 'AUTHORIZED' && t2.access_token !== tokens.access_token) {
                ok('auth() #3 refreshed', `new aud ${JSON.stringify(jwtParts(t2.access_token).claims.aud)}, scope "${t2.scope}", refresh token rotated: ${t2.refresh_token !== tokens.refresh_token}`);
            } else fail('auth() #3 refresh', `returned ${result}`);
        } catch (e) {
            fail('auth() #3 refresh', `${e.constructor.name}: ${e.message}`);
        }
    } else if (expectRefresh) fail('refresh token', 'none issued');
    else note('no refresh token issued (offline_access not asked for), refresh not tried');
    return provider;
}

async function sdkTransport(provider) {
    console.log('\n== 4. Client + StreamableHTTPClientTransport with the same provider (the server is not a real MCP server)');
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: provider, fetch: loggingFetch('transport') });
    const client = new Client({ name: 'mcp-sdk-check', version: '0.0.0' });
    try {
        await client.connect(transport);
        const tools = await client.listTools();
        ok('client.connect + listTools', JSON.stringify(tools));
    } catch (e) {
        note(`connect failed as expected for a non-MCP server: ${e.constructor.name}: ${e.message}`);
    } finally {
        await client.close().catch(() => {});
    }
}

console.log(`@modelcontextprotocol/sdk ${SDK_VERSION}, node ${process.version}, MCP server ${MCP_URL}`);
await discovery();

const port = 33000 + Math.floor(Math.random() * 1000);
const common = { client_name: 'mcp-sdk-check', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };

// 0: what an SDK-based client registers when it follows the SDK's types and examples:
// no application_type (OIDC Registration's default is "web").
await flow('SDK-default metadata (no application_type), http://127.0.0.1:PORT', {
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    clientMetadata: { ...common, redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: 'none' }
});
// 0b: the SDK's own example client (simpleOAuthClient): http://localhost:PORT, client_secret_post.
await flow('SDK example client (localhost, client_secret_post), even with application_type native', {
    redirectUrl: `http://localhost:${port + 3}/callback`,
    clientMetadata: { ...common, application_type: 'native', redirect_uris: [`http://localhost:${port + 3}/callback`], token_endpoint_auth_method: 'client_secret_post' }
});
// A: a public native client, as docs/mcp.md describes an MCP client. `application_type` is
// not in the SDK's OAuthClientMetadata type, but auth() sends clientMetadata as given.
const a = await flow('native public client, loopback redirect with port', {
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    clientMetadata: { ...common, application_type: 'native', redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: 'none' }
});
// B: a confidential client_secret_post client (the SDK example's method) on 127.0.0.1, with
// offline_access asked for explicitly so that a refresh token comes back.
await flow('native client_secret_post client + offline_access (refresh)', {
    redirectUrl: `http://127.0.0.1:${port + 1}/callback`,
    clientMetadata: { ...common, application_type: 'native', redirect_uris: [`http://127.0.0.1:${port + 1}/callback`], token_endpoint_auth_method: 'client_secret_post' },
    scope: 'files.read offline_access',
    expectRefresh: true
});
// C: registered without a port (RFC 8252 §7.3), used with one.
await flow('native public client registered portless, used with a port', {
    redirectUrl: `http://127.0.0.1:${port + 2}/callback`,
    clientMetadata: { ...common, application_type: 'native', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' }
});
if (a) await sdkTransport(a);

console.log(`\n${failures === 0 ? 'ALL CHECKS PASSED' : failures + ' CHECK(S) FAILED'}`);
process.exit(failures === 0 ? 0 : 1);
