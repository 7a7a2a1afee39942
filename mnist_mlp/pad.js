// The drawing pad's view (mnist_mlp/pad.py): a canvas drawn with Pointer Events (mouse, finger,
// pen); each finished stroke goes to Python as a PNG, Python sends back the 28 x 28 image the
// models get and their three most likely digits. data-testid attributes serve the browser test.
const SIZE = 280; // CSS pixels, 10 per MNIST pixel
const LINE = 18; // stroke width in CSS pixels: about MNIST's stroke once the digit fills 20 px

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function render({ model, el }) {
  const canvas = element("canvas", { "data-testid": "pad-canvas", class: "mnist-pad-canvas" });
  const clear = element("button", { type: "button", "data-testid": "pad-clear" }, ["Limpar"]);
  const rawBox = element("input", { type: "checkbox", "data-testid": "pad-raw" });
  const rawLabel = element("label", { class: "mnist-pad-switch" }, [rawBox, " sem preparação"]);
  const attackBox = element("input", { type: "checkbox", "data-testid": "pad-attack" });
  const attackLabel = element("label", { class: "mnist-pad-switch" }, [attackBox, " ataque"]);
  const input = element("img", { "data-testid": "pad-input", class: "mnist-pad-input",
                                 alt: "a imagem de 28 × 28 que os modelos recebem" });
  const inputCaption = element("div", { class: "mnist-pad-caption" }, ["o que o modelo recebe"]);
  const message = element("div", { "data-testid": "pad-message", class: "mnist-pad-message" });
  const bars = element("div", { class: "mnist-pad-models" });
  const root = element("div", { class: "mnist-pad", "data-testid": "pad" }, [
    element("div", { class: "mnist-pad-column" }, [
      element("div", { class: "mnist-pad-paper" }, [canvas]),
      element("div", { class: "mnist-pad-controls" }, [clear, rawLabel, attackLabel]),
    ]),
    element("div", { class: "mnist-pad-column" }, [inputCaption, input]),
    element("div", { class: "mnist-pad-column mnist-pad-results" }, [bars, message]),
  ]);
  el.append(root);

  // A backing store at the screen's resolution keeps strokes sharp; Python rescales anyway.
  const ratio = window.devicePixelRatio || 1;
  canvas.width = canvas.height = Math.round(SIZE * ratio);
  canvas.style.width = canvas.style.height = `${SIZE}px`;
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  Object.assign(ctx, { lineWidth: LINE, lineCap: "round", lineJoin: "round",
                       strokeStyle: "#000", fillStyle: "#000" });

  function paper() {
    ctx.save();
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, SIZE, SIZE);
    ctx.restore();
  }

  function send(png) {
    const seq = (model.get("drawing").seq || 0) + 1;
    model.set("drawing", { png, seq });
    model.save_changes();
  }

  let last = null; // the pointer's previous point while a stroke is being drawn
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * SIZE / box.width,
            (event.clientY - box.top) * SIZE / box.height];
  };
  const down = (event) => {
    if (event.button !== 0) return; // the primary button, a finger or a pen's tip
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    ctx.beginPath(); // a tap is a dot: a zero-length line would not be drawn
    ctx.arc(last[0], last[1], LINE / 2, 0, 2 * Math.PI);
    ctx.fill();
    event.preventDefault();
  };
  const move = (event) => {
    if (!last) return;
    // Coalesced events: the points a fast pen or finger passed between two frames.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const each of events.length ? events : [event]) {
      const next = point(each);
      ctx.beginPath();
      ctx.moveTo(...last);
      ctx.lineTo(...next);
      ctx.stroke();
      last = next;
    }
    event.preventDefault();
  };
  const up = () => {
    if (!last) return;
    last = null;
    root.dataset.state = "busy";
    send(canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  clear.addEventListener("click", () => {
    paper();
    send("");
  });
  rawBox.addEventListener("change", () => {
    model.set("raw", rawBox.checked);
    model.save_changes();
  });
  attackBox.addEventListener("change", () => {
    root.dataset.state = "busy";
    model.set("attack", attackBox.checked);
    model.save_changes();
  });

  // With the "ataque" switch: the attacked image each model was given and what it read there.
  function attackBlock(name, attack) {
    if (!attack) return [];
    const children = [];
    if (attack.image) {
      children.push(element("img", { class: "mnist-pad-attacked", src: attack.image,
                                     "data-testid": `pad-attack-image-${name}`,
                                     alt: "a imagem atacada, que muda a resposta do modelo" }));
    }
    children.push(element("span", {}, [attack.label]));
    return [element("div", { class: "mnist-pad-attack", "data-testid": `pad-attack-${name}`,
                             "data-eps": attack.eps === null ? "" : String(attack.eps),
                             "data-after": String(attack.after) }, children)];
  }

  function show() {
    const result = model.get("result");
    rawBox.checked = model.get("raw");
    attackBox.checked = model.get("attack");
    root.dataset.state = result.state || "hint";
    root.dataset.seq = result.seq || 0;
    root.dataset.raw = Boolean(result.raw);
    root.dataset.attack = Boolean(result.attack);
    message.textContent = result.message || "";
    if (result.image) input.src = result.image;
    else input.removeAttribute("src");
    input.style.visibility = result.image ? "visible" : "hidden";
    bars.replaceChildren(...(result.models || []).map(({ name, top, attack }) => {
      const rows = top.map(({ digit, prob, label }, rank) => element("div", {
        class: "mnist-pad-row" }, [
        element("div", { class: "mnist-pad-bar" }, [element("div", {
          class: rank === 0 ? "mnist-pad-fill mnist-pad-first" : "mnist-pad-fill",
          style: `width: ${(100 * prob).toFixed(1)}%` })]),
        element("span", { class: "mnist-pad-label" }, [label]),
      ]));
      return element("div", { class: "mnist-pad-model", "data-testid": `pad-top-${name}`,
                              "data-digit": top.length ? String(top[0].digit) : "" }, [
        element("div", { class: "mnist-pad-name" }, [`modelo ${name}`]), ...rows,
        ...attackBlock(name, attack)]);
    }));
  }

  paper();
  show();
  model.on("change:result", show);
  model.on("change:raw", show);
  model.on("change:attack", show);
  return () => {
    model.off("change:result", show);
    model.off("change:raw", show);
    model.off("change:attack", show);
  };
}

export default { render };
