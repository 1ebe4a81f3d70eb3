/** Longest expression `evaluate` accepts; a demo tool has no business with pages of maths. */
export const MAX_EXPRESSION_LENGTH = 200

/** A malformed or unsupported arithmetic expression; the message points at the problem. */
export class ExpressionError extends Error {
  readonly code = 'INVALID_EXPRESSION'
}

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'operator'; value: string; at: number }

/**
 * Evaluates an arithmetic expression: numbers, `+ - * / % ^`, parentheses and unary minus.
 * A small parser rather than `eval`/`Function`, because the input comes from users and models.
 */
export function evaluate(expression: string): number {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `The expression is ${expression.length} characters long; keep it under ${MAX_EXPRESSION_LENGTH}.`,
    )
  }
  const tokens = tokenize(expression)
  if (tokens.length === 0)
    throw new ExpressionError('The expression is empty: give e.g. "2 * (3 + 4)".')
  let position = 0

  const peek = (): Token | undefined => tokens[position]
  const takeOperator = (...operators: string[]): string | undefined => {
    const token = tokens[position]
    if (token?.kind === 'operator' && operators.includes(token.value)) {
      position++
      return token.value
    }
    return undefined
  }

  // Grammar: sum := product (("+"|"-") product)*; product := unary (("*"|"/"|"%") unary)*;
  // unary := ("-"|"+") unary | power; power := atom ("^" unary)?; atom := number | "(" sum ")".
  // So -2^2 is -(2^2), as in maths, and 2^-1 works.
  const sum = (): number => {
    let value = product()
    for (let operator = takeOperator('+', '-'); operator; operator = takeOperator('+', '-')) {
      value = operator === '+' ? value + product() : value - product()
    }
    return value
  }
  const product = (): number => {
    let value = unary()
    for (
      let operator = takeOperator('*', '/', '%');
      operator;
      operator = takeOperator('*', '/', '%')
    ) {
      const right = unary()
      if ((operator === '/' || operator === '%') && right === 0) {
        throw new ExpressionError('Division by zero.')
      }
      value = operator === '*' ? value * right : operator === '/' ? value / right : value % right
    }
    return value
  }
  const unary = (): number => {
    if (takeOperator('-')) return -unary()
    if (takeOperator('+')) return unary()
    return power()
  }
  const power = (): number => {
    const base = atom()
    return takeOperator('^') ? base ** unary() : base
  }
  const atom = (): number => {
    const token = peek()
    if (token === undefined) throw new ExpressionError('The expression ends too early.')
    if (token.kind === 'number') {
      position++
      return token.value
    }
    if (takeOperator('(')) {
      const value = sum()
      if (!takeOperator(')')) throw new ExpressionError('A "(" is never closed.')
      return value
    }
    throw new ExpressionError(`Unexpected "${token.value}" at position ${token.at + 1}.`)
  }

  const value = sum()
  const rest = peek()
  if (rest !== undefined) {
    throw new ExpressionError(`Unexpected "${rest.value}" at position ${rest.at + 1}.`)
  }
  if (!Number.isFinite(value)) throw new ExpressionError('The result is not a finite number.')
  return value
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = []
  let index = 0
  while (index < expression.length) {
    const character = expression[index]!
    if (/\s/.test(character)) {
      index++
      continue
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(expression.slice(index))
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: index })
      index += number[0].length
      continue
    }
    if ('+-*/%^()'.includes(character)) {
      tokens.push({ kind: 'operator', value: character, at: index })
      index++
      continue
    }
    // Allow "x" and "×"/"÷" as people type them.
    if (character === 'x' || character === '×') {
      tokens.push({ kind: 'operator', value: '*', at: index })
      index++
      continue
    }
    if (character === '÷') {
      tokens.push({ kind: 'operator', value: '/', at: index })
      index++
      continue
    }
    throw new ExpressionError(
      `Unsupported character "${character}" at position ${index + 1}: use numbers, + - * / % ^ and parentheses.`,
    )
  }
  return tokens
}
