export { type ResolvedServerDefinition, validateServerDefinition } from './definition.js'
