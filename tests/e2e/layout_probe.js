// Run in a page by tests/e2e/layout.py: one line per thing a person would see wrong.
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const problems = [];
  const vw = window.innerWidth;
  const name = el => {
    const cls = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '';
    return `${el.tagName.toLowerCase()}${cls} "${(el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50)}"`;
  };
  if (document.documentElement.scrollWidth > vw + 1) {
    problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${vw}px window`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const parent = el.parentElement;
    if (parent && parent !== document.documentElement) {
      const outer = parent.getBoundingClientRect();
      if (box.right > outer.right + 1 || box.left < outer.left - 1) {
        problems.push(`wider than its container: ${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)}px, its container ${Math.round(outer.left)}..${Math.round(outer.right)}px`);
      }
    }
    if (style.display !== 'inline' && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      const cut = ['hidden', 'clip'].includes(style.overflowX) ? 'clipped' : 'overflowing';
      problems.push(`content ${cut}: ${name(el)} holds ${el.scrollWidth}px in ${el.clientWidth}px`);
    }
    if (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth) {
      problems.push(`text cut short with an ellipsis: ${name(el)}`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('svg, style, script, title')) continue;
    const measure = (start, end) => {
      range.setStart(node, start);
      range.setEnd(node, end);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      return {lines: new Set(rects.map(r => Math.round(r.top))).size, width: rects.reduce((s, r) => s + r.width, 0)};
    };
    const tokens = /\S+/g;
    let token;
    while ((token = tokens.exec(node.data))) {
      // A token longer than half the window (a path, a hash) has to break somewhere.
      if (measure(token.index, token.index + token[0].length).width > vw / 2) continue;
      const words = /[\p{L}\p{N}]+/gu;
      let m;
      while ((m = words.exec(token[0]))) {
        const start = token.index + m.index;
        if (measure(start, start + m[0].length).lines > 1) {
          problems.push(`word broken across lines: "${m[0]}" in ${name(node.parentElement)}`);
        }
      }
    }
  }
  return problems;
}
