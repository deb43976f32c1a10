// Module hook registered by ts-loader.mjs (it runs before tsx's own, so it sees tsx's output).
const MARK = '//# sourceMappingURL=data:application/json;base64,'

export async function load (url, context, nextLoad) {
  const result = await nextLoad(url, context)
  if (!url.startsWith('file:') || !/\.[cm]?tsx?$/.test(new URL(url).pathname) || result.source == null) return result
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8')
  const at = source.lastIndexOf(MARK)
  if (at === -1) return result
  const map = JSON.parse(Buffer.from(source.slice(at + MARK.length), 'base64').toString('utf8'))
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.some(content => content !== null)) return result
  delete map.sourcesContent
  return { ...result, source: source.slice(0, at + MARK.length) + Buffer.from(JSON.stringify(map)).toString('base64') }
}
