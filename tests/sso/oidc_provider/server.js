// A real OpenID Connect provider for Baton's sign-in tests: panva's certified
// oidc-provider with its development login form (any password signs in the
// account named by "login"), one confidential client, an RSA signing key made
// at start, and consent skipped for the client. Configured by the environment:
//   PORT           where to listen (on 127.0.0.1)
//   OIDC_CLIENTS   JSON list of clients (client_id, client_secret, redirect_uris)
//   OIDC_ACCOUNTS  JSON object: login -> claims (email, email_verified,
//                  employee_number, given_name, family_name)
import { generateKeyPairSync } from "node:crypto";

import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const clients = JSON.parse(process.env.OIDC_CLIENTS || "[]").map((client) => ({
  grant_types: ["authorization_code"],
  response_types: ["code"],
  token_endpoint_auth_method: "client_secret_post",
  ...client,
}));

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "baton-test", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: ["baton-test-cookies"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["given_name", "family_name", "employee_number"],
  },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) {
      return undefined;
    }
    return { accountId: id, claims: async () => ({ ...claims, sub: id }) };
  },
  // The test client is first-party: no consent screen.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return Grant.find(grantId);
    }
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
