/**
 * What the demo Graph API serves, as data: one Collection per Graph entity set, with its objects,
 * the child collections below each object (`assignments`, `settings`, …), its bound actions
 * (`assign`, `wipe`, …) and its collection actions (`executeAction`). The request handler in
 * graph-api.ts and the list of mutating routes (demoMutatingRoutes) both read these, so the routes a
 * test checks against the policy are the routes the API answers, never a hand-kept copy.
 */

export type GraphObject = Record<string, unknown> & { id: string };

/** What an action answers: Graph's actions answer 204, or 200 with a body when they return one. */
export interface ActionAnswer {
  status: 200 | 204;
  body?: unknown;
}

/** A bound action, `POST <collection>/{id}/<name>`. */
export interface ItemAction {
  /** A body the action accepts: the route list and its tests send it. */
  example: Record<string, unknown>;
  run(item: GraphObject, input: Record<string, unknown>, collection: Collection): ActionAnswer;
}

/** An action bound to the collection, `POST <collection>/<name>`. */
export interface CollectionAction {
  example: Record<string, unknown>;
  run(input: Record<string, unknown>, collection: Collection): ActionAnswer;
}

export interface Collection {
  /** Path of the collection as Graph spells it. */
  path: string;
  /** The `@odata.type` of new objects when the client sends none. */
  odataType: string;
  /** The name of the list in an assign body (`mobileAppAssignments`, …); absent when the type has no assign. */
  assignField?: string;
  /** Properties a create must carry. */
  required: string[];
  items: Map<string, GraphObject>;
  /**
   * Navigation properties that hold references to directory objects (a group's `members` and
   * `owners`), changed through `$ref` as Graph does: item id → property → referenced ids.
   */
  links?: { names: string[]; refs: Map<string, Record<string, Set<string>>> };
  /** Whether `POST <path>` creates an object; managed devices enrol, they are not posted. */
  creatable: boolean;
  /** A create body with the required properties, for the route list. */
  example: Record<string, unknown>;
  /** A PATCH body, for the route list. */
  patchExample: Record<string, unknown>;
  /** Child collections below each object, as Graph spells them → the `@odata.type` of a new child. */
  children: Record<string, string>;
  /** Object id → child collection name (lower case) → child id → child. */
  childItems: Map<string, Map<string, Map<string, GraphObject>>>;
  /** Bound actions by name, as Graph spells them (matched without case). */
  actions: Record<string, ItemAction>;
  collectionActions: Record<string, CollectionAction>;
}

/** Raised by the demo API and its fixtures; the handler answers it in Graph's error shape. */
export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** The array a body must carry under `field`, or 400 as Graph answers a malformed action body. */
export function arrayField(input: Record<string, unknown>, field: string): unknown[] {
  const value = input[field];
  if (!Array.isArray(value)) throw new GraphError(400, 'BadRequest', `the property '${field}' must be an array`);
  return value;
}

export interface CollectionOptions {
  assignField?: string;
  creatable?: boolean;
  example?: Record<string, unknown>;
  patchExample?: Record<string, unknown>;
  /** Child collections, and the children each object starts with: object id → child name → children. */
  children?: Record<string, string>;
  seedChildren?: Record<string, Record<string, GraphObject[]>>;
  actions?: Record<string, ItemAction>;
  collectionActions?: Record<string, CollectionAction>;
}

/**
 * A collection seeded with `items`. With `assignField`, `POST {id}/assign` replaces the object's
 * assignments with the list in that field (Graph answers 204).
 * @example makeCollection('/deviceManagement/deviceCategories', '#microsoft.graph.deviceCategory', ['displayName'], categories)
 */
export function makeCollection(path: string, odataType: string, required: string[], items: GraphObject[], options: CollectionOptions = {}): Collection {
  const actions: Record<string, ItemAction> = { ...options.actions };
  const assignField = options.assignField;
  if (assignField !== undefined) {
    actions.assign = {
      example: { [assignField]: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: 'helpdesk' } }] },
      run(item, input, collection) {
        const list = arrayField(input, assignField);
        // Graph's assign replaces the object's assignments: the child collection, when the object has one.
        const child = findName(Object.keys(collection.children), 'assignments');
        if (child !== undefined) {
          const kinds = collection.childItems.get(item.id) ?? collection.childItems.set(item.id, new Map()).get(item.id)!;
          const odataType = collection.children[child]!;
          kinds.set(child.toLowerCase(), new Map(list.map((entry, i) => {
            const assignment = { '@odata.type': odataType, ...(entry as Record<string, unknown>), id: `${item.id}_${i}` } as GraphObject;
            return [assignment.id, assignment];
          })));
        } else {
          item.assignments = list;
        }
        item.lastModifiedDateTime = new Date().toISOString();
        return { status: 204 };
      },
    };
  }
  const childItems = new Map<string, Map<string, Map<string, GraphObject>>>();
  for (const [id, byName] of Object.entries(options.seedChildren ?? {})) {
    const kinds = new Map<string, Map<string, GraphObject>>();
    for (const [name, children] of Object.entries(byName)) kinds.set(name.toLowerCase(), new Map(children.map((c) => [c.id, c])));
    childItems.set(id, kinds);
  }
  return {
    path,
    odataType,
    required,
    assignField,
    items: new Map(items.map((item) => [item.id, item])),
    creatable: options.creatable ?? true,
    example: options.example ?? Object.fromEntries(required.map((field) => [field, field === 'displayName' ? 'Created in the demo' : 'demo'])),
    patchExample: options.patchExample ?? { description: 'Changed in the demo' },
    children: options.children ?? {},
    childItems,
    actions,
    collectionActions: options.collectionActions ?? {},
  };
}

/** The name under which `names` holds `segment`, letter case ignored as Graph ignores it; undefined when none. */
export function findName(names: Iterable<string>, segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  const lower = segment.toLowerCase();
  for (const name of names) if (name.toLowerCase() === lower) return name;
  return undefined;
}
