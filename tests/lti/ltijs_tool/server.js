// A minimal LTI 1.3 tool: ltijs (unmodified) on SQLite through ltijs-sequelize, served on
// loopback for tests/lti/test_ltijs.py. Every LTI step (login, id_token validation against
// the platform's JWK Set, state cookie, nonce, service tokens by client assertion, NRPS, AGS)
// is ltijs's own; this file only wires the platform in and reports what ltijs saw.
'use strict'
const lti = require('ltijs').Provider
const Database = require('ltijs-sequelize')

const env = (name) => {
  const value = process.env[name]
  if (!value) { console.error(`missing ${name}`); process.exit(2) }
  return value
}

const db = new Database('ltijs', 'ltijs', '', {
  dialect: 'sqlite', storage: env('LTIJS_DB'), logging: false
})

lti.setup(env('LTIJS_SECRET'), { plugin: db }, {
  appRoute: '/', loginRoute: '/login', keysetRoute: '/keys',
  cookies: { secure: false, sameSite: 'Lax' },
  devMode: false
})

// What ltijs accepted, and what it then read and wrote through the platform's services.
lti.onConnect(async (token, req, res) => {
  const report = { user: token.user, iss: token.iss, clientId: token.clientId,
    deploymentId: token.deploymentId, userInfo: token.userInfo,
    context: token.platformContext.context, resource: token.platformContext.resource,
    roles: token.platformContext.roles }
  try {
    const members = await lti.NamesAndRoles.getMembers(token, { limit: 2, pages: false })
    report.members = members.members
    const score = Number(process.env.LTIJS_SCORE || '8')
    const found = await lti.Grade.getLineItems(token, { tag: 'ltijs-quiz' })
    let item = found.lineItems[0]
    if (!item) {
      item = await lti.Grade.createLineItem(token, {
        scoreMaximum: 10, label: 'ltijs quiz', tag: 'ltijs-quiz', resourceId: 'lq1'
      })
    }
    report.lineItem = item.id
    await lti.Grade.submitScore(token, item.id, {
      userId: token.user, scoreGiven: score, scoreMaximum: 10,
      activityProgress: 'Completed', gradingProgress: 'FullyGraded'
    })
    report.scores = (await lti.Grade.getScores(token, item.id)).scores
  } catch (err) {
    report.error = `${err.name}: ${err.message}` +
      (err.response ? ` (${err.response.statusCode} ${err.response.body})` : '')
    return res.status(502).json(report)
  }
  return res.json(report)
})

lti.onInvalidToken(async (req, res) => {
  return res.status(401).json({ refused: res.locals.err })
})

const main = async () => {
  await lti.deploy({ serverless: true, silent: true })
  await lti.registerPlatform({
    url: env('LTIJS_ISSUER'), name: 'School Data Gateway', clientId: env('LTIJS_CLIENT_ID'),
    authenticationEndpoint: env('LTIJS_AUTH_URL'), accesstokenEndpoint: env('LTIJS_TOKEN_URL'),
    authConfig: { method: 'JWK_SET', key: env('LTIJS_JWKS_URL') }
  })
  const server = lti.app.listen(Number(env('LTIJS_PORT')), '127.0.0.1', () => {
    console.log(`ltijs tool listening on http://127.0.0.1:${server.address().port}`)
  })
}
main().catch((err) => { console.error(err); process.exit(1) })
