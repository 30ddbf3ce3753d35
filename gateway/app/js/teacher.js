// The teacher's cycles: what awaits their answer, and every cycle they are in (each opens
// the cycle's page, where they accept or decline, complete their steps and see who read it).

import { get } from "./api.js";
import { cycleList } from "./cycles.js";
import { card } from "./ui.js";

export async function teacherView(ctx) {
  const mine = await get(`/teachers/${ctx.me.person_id}/cycles`);
  const list = (cycles) => cycleList(cycles, ctx.name, "teacher");
  return [
    card("awaiting", "Proposed to you", list(mine.awaiting_your_answer)),
    card("my-cycles", "Your cycles", list(mine.cycles)),
  ];
}
