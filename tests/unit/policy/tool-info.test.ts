import { describe, expect, it } from 'vitest';
import { learnTools } from '../../../src/policy/tool-info.ts';

const schema = (properties: Record<string, unknown>) => ({ type: 'object', properties });

const params: [string, Record<string, unknown>, boolean][] = [
  ['path', {}, true],
  ['paths', {}, true],
  ['file', {}, true],
  ['filename', {}, true],
  ['filePath', {}, true],
  ['FILEPATH', {}, true],
  ['file_name', {}, true],
  ['sourcePath', {}, true],
  ['source', {}, true],
  ['destination', {}, true],
  ['dest', {}, true],
  ['src', {}, true],
  ['target', {}, true],
  ['dir', {}, true],
  ['directory', {}, true],
  ['working-directory', {}, true],
  ['folder', {}, true],
  ['root', {}, true],
  ['uri', {}, true],
  ['XMLFile', {}, true],
  ['url', {}, false],
  ['content', {}, false],
  ['query', {}, false],
  ['profile', {}, false], // "file" inside a word is not a segment
  ['description', {}, false],
  ['where', { description: 'The path to read' }, true],
  ['base', { description: 'Base directory for the search' }, true],
  ['text', { description: 'Text to write' }, false],
  ['mood', { description: 'How much empathy to show' }, false],
];

describe('learnTools', () => {
  it.each(params)('property %s %j → path param %s', (key, spec, isPath) => {
    const tools = learnTools({ tools: [{ name: 't', inputSchema: schema({ [key]: spec }) }] });
    const info = tools.get('t');
    expect(info?.pathParams.has(key)).toBe(isPath);
    expect(info?.otherParams.has(key)).toBe(!isPath);
  });

  it('knows tools without a usable schema, and skips nameless ones', () => {
    const tools = learnTools({
      tools: [{ name: 'bare' }, { inputSchema: schema({ path: {} }) }, 'junk', null],
    });
    expect([...tools.keys()]).toEqual(['bare']);
    expect(tools.get('bare')?.pathParams.size).toBe(0);
    expect(tools.get('bare')?.otherParams.size).toBe(0);
  });

  it('returns an empty map for results without a tools array', () => {
    expect(learnTools({}).size).toBe(0);
    expect(learnTools({ tools: 'x' }).size).toBe(0);
  });

  it('keeps the union of path params when a tool is listed twice', () => {
    const tools = learnTools({
      tools: [
        { name: 't', inputSchema: schema({ a: { description: 'a path' }, b: {} }) },
        { name: 't', inputSchema: schema({ a: {}, c: {} }) },
      ],
    });
    expect([...(tools.get('t')?.pathParams ?? [])]).toEqual(['a']);
    expect([...(tools.get('t')?.otherParams ?? [])].sort()).toEqual(['b', 'c']);
  });
});

describe('learnTools: glob parameters', () => {
  const globs: [string, Record<string, unknown>, boolean][] = [
    ['pattern', {}, true],
    ['excludePatterns', {}, true],
    ['glob', {}, true],
    ['include', {}, true],
    ['exclude_globs', {}, true],
    ['q', { description: 'A glob to match' }, true],
    ['filter', { description: 'Wildcard pattern such as *.md' }, true],
    ['query', { description: 'Text to look for' }, false],
    ['path', {}, false],
    ['patron', {}, false],
  ];

  it.each(globs)('property %s %j → glob param %s', (key, spec, isGlob) => {
    const tools = learnTools({ tools: [{ name: 't', inputSchema: schema({ [key]: spec }) }] });
    expect(tools.get('t')?.globParams.has(key)).toBe(isGlob);
  });

  it('a path parameter can be a glob too', () => {
    const tools = learnTools({
      tools: [{ name: 't', inputSchema: schema({ files: { description: 'Glob of file paths' } }) }],
    });
    expect(tools.get('t')?.pathParams.has('files')).toBe(true);
    expect(tools.get('t')?.globParams.has('files')).toBe(true);
  });
});
