"""Similar-case search."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from api.auth import require
from api.deps import ServiceDep
from api.schemas.cases import SearchHitOut, SearchRequest, SearchResponse
from api.schemas.common import ErrorResponse
from api.schemas.feedback import FeedbackIn, FeedbackOut, FeedbackSummary
from kb.users import Principal

router = APIRouter(prefix="/api", tags=["search"], responses={422: {"model": ErrorResponse}})


@router.post("/search", response_model=SearchResponse, summary="类案检索：语义 + BM25 混合，支持筛选，给出匹配理由")
async def search(
    body: SearchRequest, service: ServiceDep, user: Principal = Depends(require("search"))
) -> SearchResponse:
    def run() -> SearchResponse:
        found = service.search_with_flags(
            text=body.text, case_id=body.case_id, filters=body.filters.to_domain(), k=body.k, mode=body.mode, actor=user
        )
        query_text = service.feedback.query_text(user, body.text, body.case_id)
        marks = service.feedback.marked(user, "case", query_text, [h.case.id for h in found.hits])
        out = [
            SearchHitOut.from_hit(h).model_copy(
                update={"flags": found.flags[h.case.id], "my_mark": marks.get(h.case.id)}
            )
            for h in found.hits
        ]
        return SearchResponse(query_terms=found.query_terms, hits=out)

    return await run_in_threadpool(run)


@router.post("/feedback", response_model=FeedbackOut, status_code=201, summary="标注检索结果或典型案例是否相关")
def feedback(body: FeedbackIn, service: ServiceDep, user: Principal = Depends(require("search"))) -> FeedbackOut:
    mark = service.feedback.mark(
        user,
        target=body.target,
        query_text=body.query_text,
        query_case_id=body.query_case_id,
        item_id=body.item_id,
        relevant=body.relevant,
    )
    return FeedbackOut(
        id=mark.id, created_at=mark.created_at, target=mark.target, item_id=mark.item_id, relevant=mark.relevant
    )


@router.get(
    "/feedback/summary",
    response_model=FeedbackSummary,
    summary="相关性标注汇总：各类结果的标注数与已标注结果的精确率（标为相关 ÷ 标注条数）",
)
def feedback_summary(service: ServiceDep, user: Principal = Depends(require("search"))) -> FeedbackSummary:
    return FeedbackSummary.model_validate(service.feedback.precision())
