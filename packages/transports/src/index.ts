export {
  type ResolvedServerDefinition,
  validateRoots,
  validateServerDefinition,
} from './definition.js'
