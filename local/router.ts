import type { HttpMethod, RouteDefinition } from '../shared/routes.js';

interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  parameterNames: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: RouteDefinition; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

/** Matches request paths against the route table's `{name}` templates, as API Gateway does. */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly RouteDefinition[]) {
    this.compiled = routes.map((route) => compile(route));
  }

  match(method: string, pathname: string): RouteMatch {
    const allowed: HttpMethod[] = [];

    for (const { route, pattern, parameterNames } of this.compiled) {
      const found = pattern.exec(pathname);
      if (!found) {
        continue;
      }

      if (!route.methods.includes(method as HttpMethod)) {
        allowed.push(...route.methods);
        continue;
      }

      const pathParameters: Record<string, string> = {};
      parameterNames.forEach((name, index) => {
        pathParameters[name] = safeDecode(found[index + 1]!);
      });
      return { kind: 'found', route, pathParameters };
    }

    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function compile(route: RouteDefinition): CompiledRoute {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (parameter) {
        parameterNames.push(parameter[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');

  return { route, pattern: new RegExp(`^${source}/?$`), parameterNames };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
